// Model: parameters(), parameterCount(), loadWeights(file, entries), run(inputs, options), generate(inputIds,
// options), and the measurement blocks of a cell: runCalls(options), measureMemory(options),
// measureBreakdown(options), runGenerateCalls(options), measureGenerateMemory(options).
// The async methods read their arguments on the JS thread, do the work on the compute thread
// (compute_thread.h), and reject (never throw) on bad arguments. One async call at a time per model: a second
// one rejects 'model busy'.
#include "napi/model_wrap.h"

#include <atomic>
#include <optional>

#include "errors.h"
#include "measure/breakdown.h"
#include "measure/calls.h"
#include "measure/generate.h"
#include "models/generation.h"
#include "napi/compute_thread.h"
#include "napi/fields.h"
#include "napi/js_error.h"
#include "napi/measurement.h"
#include "napi/tensor.h"
#include "weights/safetensors.h"

namespace tfbench {
namespace js {
namespace {

// The random inputs of the cell being measured, kept so that every block of the cell runs on the same ones.
struct CachedInputs {
  int64_t batch_size = 0;
  int64_t sequence_length = 0;
  uint64_t seed = 0;
  ModelInputs inputs;
};

struct ModelState {
  std::shared_ptr<Model> model;
  std::atomic<bool> busy{false};
  std::optional<CachedInputs> cell_inputs;  // touched only by the call holding `busy`, on the compute thread
};

// The inputs of `cell`: made on first use, then the same tensors until another shape or seed is asked for
// (the previous ones are released first).
const ModelInputs& cached_inputs(ModelState& state, const CellCall& cell) {
  auto& cached = state.cell_inputs;
  if (!cached || cached->batch_size != cell.batch_size || cached->sequence_length != cell.sequence_length ||
      cached->seed != cell.seed) {
    cached.reset();
    cached = CachedInputs{cell.batch_size, cell.sequence_length, cell.seed, cell_inputs(*state.model, cell)};
  }
  return cached->inputs;
}

const ModelInputs& inputs_for(ModelState& state, const CellCall& cell) {
  check_cell_call(*state.model, cell);
  return cached_inputs(state, cell);
}

// The seeded random prompt (B, S) of a generate call: an inference cell's input_ids of that shape and seed, kept
// as those are.
const at::Tensor& prompt_for(ModelState& state, const GenerateCall& call) {
  check_generate_call(*state.model, call);
  return cached_inputs(state, prompt_cell(call)).input_ids;
}

// Held by a call in flight; releases the model on the JS thread when the call settles.
class BusyLease {
 public:
  explicit BusyLease(std::shared_ptr<ModelState> state) : state_(std::move(state)) {}
  BusyLease(const BusyLease&) = delete;
  BusyLease& operator=(const BusyLease&) = delete;
  ~BusyLease() { state_->busy.store(false); }

 private:
  std::shared_ptr<ModelState> state_;
};

std::shared_ptr<void> acquire(const std::shared_ptr<ModelState>& state, const char* method) {
  bool expected = false;
  if (!state->busy.compare_exchange_strong(expected, true))
    throw_bad_input(c10::str("model busy: ", method,
                             "() was called while another call (run, loadWeights or a measurement) on this model is still "
                             "running; await it first"));
  return std::make_shared<BusyLease>(state);
}

const char* dtype_name(c10::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kLong: return "int64";
    default: return "other";
  }
}

class ModelWrap final : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Model",
                       {
                           InstanceMethod<&ModelWrap::Parameters>("parameters"),
                           InstanceMethod<&ModelWrap::ParameterCount>("parameterCount"),
                           InstanceMethod<&ModelWrap::LoadWeights>("loadWeights"),
                           InstanceMethod<&ModelWrap::Run>("run"),
                           InstanceMethod<&ModelWrap::RunCalls>("runCalls"),
                           InstanceMethod<&ModelWrap::MeasureMemory>("measureMemory"),
                           InstanceMethod<&ModelWrap::MeasureBreakdown>("measureBreakdown"),
                           InstanceMethod<&ModelWrap::Generate>("generate"),
                           InstanceMethod<&ModelWrap::RunGenerateCalls>("runGenerateCalls"),
                           InstanceMethod<&ModelWrap::MeasureGenerateMemory>("measureGenerateMemory"),
                       });
  }

  explicit ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
      throw Napi::TypeError::New(info.Env(), "Model objects are made by buildModel(), not with new");
    state_ = std::make_shared<ModelState>();
    state_->model = *info[0].As<Napi::External<std::shared_ptr<Model>>>().Data();
  }

 private:
  Napi::Value Parameters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto& params = state_->model->parameters();
    Napi::Array out = Napi::Array::New(env, params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const at::Tensor& t = params[i].tensor;
      Napi::Object p = Napi::Object::New(env);
      Napi::Array shape = Napi::Array::New(env, t.dim());
      for (int64_t d = 0; d < t.dim(); ++d) shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, t.size(d)));
      p.Set("name", params[i].name);
      p.Set("shape", shape);
      p.Set("dtype", dtype_name(t.scalar_type()));
      out.Set(static_cast<uint32_t>(i), p);
    }
    return out;
  }

  Napi::Value ParameterCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(state_->model->parameter_count()));
  }

  Napi::Value LoadWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      if (!info[0].IsString()) throw_bad_input(c10::str("loadWeights: file must be a string, got ", type_name(info[0])));
      std::string file = info[0].As<Napi::String>().Utf8Value();
      if (!info[1].IsArray()) throw_bad_input(c10::str("loadWeights: entries must be an array, got ", type_name(info[1])));
      auto array = info[1].As<Napi::Array>();
      std::vector<WeightEntry> entries;
      entries.reserve(array.Length());
      for (uint32_t i = 0; i < array.Length(); ++i) {
        Fields f(array.Get(i), c10::str("entries[", i, "]"), "BAD_WEIGHTS");
        WeightEntry e;
        e.parameter = f.string("parameter");
        e.dtype = f.one_of("dtype", {"F32", "F16", "BF16", "F64"});
        e.shape = shape_field(f, "shape");
        e.begin = static_cast<uint64_t>(f.integer("begin", 0));
        e.end = static_cast<uint64_t>(f.integer("end", 0));
        entries.push_back(std::move(e));
      }
      auto hold = acquire(state_, "loadWeights");
      auto model = state_->model;
      return run_async(
          env, [model, file, entries] { load_weights(*model, file, entries); },
          [](Napi::Env env) { return env.Undefined(); }, hold);
    } catch (...) {
      return rejected_promise(env);
    }
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      Fields in(info[0], "inputs", "BAD_INPUT");
      Napi::Object object = info[0].As<Napi::Object>();
      Napi::Array keys = object.GetPropertyNames();
      ModelInputs inputs;
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        std::string key = keys.Get(i).ToString().Utf8Value();
        at::Tensor* slot = key == "input_ids"        ? &inputs.input_ids
                           : key == "attention_mask" ? &inputs.attention_mask
                           : key == "token_type_ids" ? &inputs.token_type_ids
                           : key == "decoder_input_ids" ? &inputs.decoder_input_ids
                                                     : nullptr;
        if (slot == nullptr)
          throw_bad_input(c10::str("inputs.", key,
                                   " is not a known input (input_ids, attention_mask, token_type_ids, decoder_input_ids)"));
        if (object.Get(key).IsUndefined()) continue;
        *slot = tensor_from_js(object.Get(key), "inputs." + key);
      }
      if (!inputs.input_ids.defined()) throw_bad_input("inputs.input_ids is missing (expected an int64 HostTensor)");

      Fields f(info[1], "options", "BAD_INPUT", /*optional=*/true);
      RunOptions options;
      options.train = f.boolean_or("train", false);
      options.loss = f.boolean_or("loss", false);
      if (f.has("gradients")) {
        Napi::Value g = f.get("gradients", "an array of parameter names");
        if (!g.IsArray()) f.fail("gradients", c10::str("must be an array of parameter names, got ", type_name(g)));
        auto names = g.As<Napi::Array>();
        for (uint32_t i = 0; i < names.Length(); ++i) {
          Napi::Value name = names.Get(i);
          if (!name.IsString())
            throw_bad_input(c10::str("options.gradients[", i, "] must be a string, got ", type_name(name)));
          options.gradients.push_back(name.As<Napi::String>().Utf8Value());
        }
      }

      auto hold = acquire(state_, "run");
      auto model = state_->model;
      auto result = std::make_shared<NamedTensors>();
      return run_async(
          env,
          [model, inputs, options, result] {
            ModelInputs on_device;
            const c10::Device device = model->options().device;
            on_device.input_ids = inputs.input_ids.to(device);
            if (inputs.attention_mask.defined()) on_device.attention_mask = inputs.attention_mask.to(device);
            if (inputs.token_type_ids.defined()) on_device.token_type_ids = inputs.token_type_ids.to(device);
            if (inputs.decoder_input_ids.defined()) on_device.decoder_input_ids = inputs.decoder_input_ids.to(device);
            *result = run_model(*model, on_device, options);
          },
          [result](Napi::Env env) -> Napi::Value {
            Napi::Object out = Napi::Object::New(env);
            for (const auto& [name, tensor] : *result) out.Set(name, tensor_to_js(env, tensor));
            return out;
          },
          hold);
    } catch (...) {
      return rejected_promise(env);
    }
  }

  // runCalls({ mode, trainStep?, batchSize, sequenceLength, seed, calls }) -> CallTimes
  Napi::Value RunCalls(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      const CellCall cell = cell_call_from_js(info[0]);
      const int64_t calls = Fields(info[0], "options", "BAD_INPUT").integer("calls", 1);
      auto state = state_;
      return held_call<CallTimes>(
          env, "runCalls",
          [state, cell, calls] { return run_calls(*state->model, cell, inputs_for(*state, cell), calls); },
          call_times_to_js);
    } catch (...) {
      return rejected_promise(env);
    }
  }

  // measureMemory({ mode, trainStep?, batchSize, sequenceLength, seed }) -> { memory, cudaMemory }
  Napi::Value MeasureMemory(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      const CellCall cell = cell_call_from_js(info[0]);
      auto state = state_;
      return held_call<MemoryPeaks>(
          env, "measureMemory",
          [state, cell] { return measure_memory(*state->model, cell, inputs_for(*state, cell)); },
          memory_peaks_to_js);
    } catch (...) {
      return rejected_promise(env);
    }
  }

  // measureBreakdown({ mode, trainStep?, batchSize, sequenceLength, seed }) -> ModuleCost[]
  Napi::Value MeasureBreakdown(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      const CellCall cell = cell_call_from_js(info[0]);
      auto state = state_;
      return held_call<std::vector<ModuleCost>>(
          env, "measureBreakdown",
          [state, cell] { return measure_breakdown(*state->model, cell, inputs_for(*state, cell)); },
          module_costs_to_js);
    } catch (...) {
      return rejected_promise(env);
    }
  }

  // generate(inputIds, { newTokens }) -> { generatedIds, stepLogits }
  Napi::Value Generate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      const at::Tensor ids = tensor_from_js(info[0], "inputIds");
      const int64_t new_tokens = Fields(info[1], "options", "BAD_INPUT").integer("newTokens", 1);
      auto hold = acquire(state_, "generate");
      auto model = state_->model;
      auto output = std::make_shared<GreedyOutput>();
      return run_async(
          env,
          [model, ids, new_tokens, output] {
            *output = generate_greedy(*model, ids.to(model->options().device), new_tokens);
          },
          [output](Napi::Env env) -> Napi::Value {
            Napi::Object out = Napi::Object::New(env);
            out.Set("generatedIds", tensor_to_js(env, output->generated_ids));
            out.Set("stepLogits", tensor_to_js(env, output->step_logits));
            return out;
          },
          hold);
    } catch (...) {
      return rejected_promise(env);
    }
  }

  // runGenerateCalls({ batchSize, promptLength, newTokens, seed, calls }) -> GenerateTimes
  Napi::Value RunGenerateCalls(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      const GenerateCall call = generate_call_from_js(info[0]);
      const int64_t calls = Fields(info[0], "options", "BAD_INPUT").integer("calls", 1);
      auto state = state_;
      return held_call<GenerateTimes>(
          env, "runGenerateCalls",
          [state, call, calls] { return run_generate_calls(*state->model, call, prompt_for(*state, call), calls); },
          generate_times_to_js);
    } catch (...) {
      return rejected_promise(env);
    }
  }

  // measureGenerateMemory({ batchSize, promptLength, newTokens, seed }) -> GenerateMemory
  Napi::Value MeasureGenerateMemory(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      const GenerateCall call = generate_call_from_js(info[0]);
      auto state = state_;
      return held_call<GenerateMemory>(
          env, "measureGenerateMemory",
          [state, call] { return measure_generate_memory(*state->model, call, prompt_for(*state, call)); },
          generate_memory_to_js);
    } catch (...) {
      return rejected_promise(env);
    }
  }

  // Holds this model for `method` (acquire) and runs `compute` (-> Result) on the compute thread; the promise
  // resolves with to_js(env, result).
  template <typename Result, typename Compute, typename ToJs>
  Napi::Value held_call(Napi::Env env, const char* method, Compute compute, ToJs to_js) {
    auto hold = acquire(state_, method);
    auto result = std::make_shared<Result>();
    return run_async(
        env, [result, compute] { *result = compute(); },
        [result, to_js](Napi::Env env) -> Napi::Value { return to_js(env, *result); }, hold);
  }

  std::shared_ptr<ModelState> state_;
};

struct AddonData {
  Napi::FunctionReference model_constructor;
};

}  // namespace

void define_model_class(Napi::Env env) {
  auto* data = new AddonData();
  data->model_constructor = Napi::Persistent(ModelWrap::Define(env));
  env.SetInstanceData<AddonData>(data);
}

Napi::Object wrap_model(Napi::Env env, std::shared_ptr<Model> model) {
  auto* data = env.GetInstanceData<AddonData>();
  return data->model_constructor.New({Napi::External<std::shared_ptr<Model>>::New(env, &model)});
}

}  // namespace js
}  // namespace tfbench
