// Model: parameters(), parameterCount(), loadWeights(file, entries), run(inputs, options), measure(options).
// The async methods read their arguments on the JS thread, do the work on libuv's thread pool, and reject
// (never throw) on bad arguments. One async call at a time per model: a second one rejects 'model busy'.
#include "napi/model_wrap.h"

#include <atomic>
#include <cmath>

#include "errors.h"
#include "measure/measure.h"
#include "napi/convert.h"
#include "weights/safetensors.h"

namespace tfbench {
namespace js {
namespace {

struct ModelState {
  std::shared_ptr<Model> model;
  std::atomic<bool> busy{false};
};

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
                             "() was called while another run, measure or loadWeights call on this model is still "
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
                           InstanceMethod<&ModelWrap::Measure>("measure"),
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
        Napi::Value shape = f.get("shape", "an array of integers");
        if (!shape.IsArray()) f.fail("shape", "must be an array of integers");
        auto dims = shape.As<Napi::Array>();
        for (uint32_t d = 0; d < dims.Length(); ++d) {
          Napi::Value dim = dims.Get(d);
          double x = dim.IsNumber() ? dim.As<Napi::Number>().DoubleValue() : -1.0;
          // Bounded before the cast: converting a double past int64's range is undefined behaviour.
          if (!(x >= 0.0 && x <= 9007199254740991.0) || std::floor(x) != x)
            f.fail("shape", c10::str("must hold safe non-negative integers; item ", d, " is not one"));
          e.shape.push_back(static_cast<int64_t>(x));
        }
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

  Napi::Value Measure(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      Fields f(info[0], "options", "BAD_INPUT");
      MeasureOptions o;
      o.training = f.one_of("mode", {"inference", "training"}) == "training";
      // Optional: "backward" (forward + backward) unless "optimizer" (and an AdamW step).
      o.optimizer_step = f.has("trainStep") && f.one_of("trainStep", {"backward", "optimizer"}) == "optimizer";
      o.batch_size = f.integer("batchSize", 1);
      o.sequence_length = f.integer("sequenceLength", 1);
      o.warmup = f.integer("warmup", 0);
      o.min_samples = f.integer("minSamples", 0);
      o.min_time_s = f.number("minTimeS", 0.0);
      o.max_time_s = f.number("maxTimeS", 0.0);
      o.speed = f.boolean("speed");
      o.memory = f.boolean("memory");
      o.breakdown = f.boolean_or("breakdown", false);
      o.seed = static_cast<uint64_t>(f.integer("seed", 0));

      auto hold = acquire(state_, "measure");
      auto model = state_->model;
      auto result = std::make_shared<MeasureResult>();
      return run_async(
          env, [model, o, result] { *result = measure(*model, o); },
          [result](Napi::Env env) -> Napi::Value {
            auto numbers = [&](const std::vector<double>& v) {
              Napi::Array a = Napi::Array::New(env, v.size());
              for (size_t i = 0; i < v.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, v[i]));
              return a;
            };
            Napi::Object out = Napi::Object::New(env);
            out.Set("samplesSeconds", numbers(result->samples_seconds));
            out.Set("warmupSeconds", numbers(result->warmup_seconds));
            if (result->forward_seconds.empty()) {
              out.Set("phasesSeconds", env.Null());
            } else {
              Napi::Object phases = Napi::Object::New(env);
              phases.Set("forward", numbers(result->forward_seconds));
              phases.Set("backward", numbers(result->backward_seconds));
              phases.Set("optimizer", numbers(result->optimizer_seconds));
              out.Set("phasesSeconds", phases);
            }
            out.Set("memory", result->memory ? js::cpu_memory_peak_to_js(env, *result->memory) : env.Null());
            out.Set("cudaMemory",
                    result->cuda_memory ? js::cuda_memory_peak_to_js(env, *result->cuda_memory) : env.Null());
            out.Set("hostSeconds", result->host_seconds.empty() ? env.Null() : numbers(result->host_seconds));
            if (result->breakdown.empty()) {
              out.Set("breakdown", env.Null());
            } else {
              Napi::Array modules = Napi::Array::New(env, result->breakdown.size());
              for (size_t i = 0; i < result->breakdown.size(); ++i) {
                const ModuleCost& c = result->breakdown[i];
                Napi::Object m = Napi::Object::New(env);
                m.Set("module", c.module);
                m.Set("seconds", c.seconds);
                m.Set("beforeBytes", static_cast<double>(c.before_bytes));
                m.Set("peakBytes", static_cast<double>(c.peak_bytes));
                modules.Set(static_cast<uint32_t>(i), m);
              }
              out.Set("breakdown", modules);
            }
            return out;
          },
          hold);
    } catch (...) {
      return rejected_promise(env);
    }
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
