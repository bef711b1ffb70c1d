#include "measure/calls.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <c10/util/StringUtil.h>
#include <torch/optim/optimizer.h>

#include "errors.h"
#include "measure/timeline.h"

namespace tfbench {

void check_cell_call(const Model& model, const CellCall& cell) {
  if (cell.batch_size < 1) throw_bad_input(c10::str("batchSize must be >= 1, got ", cell.batch_size));
  if (cell.sequence_length < 1) throw_bad_input(c10::str("sequenceLength must be >= 1, got ", cell.sequence_length));
  if (cell.sequence_length > model.max_sequence_length())
    throw_bad_input(c10::str("sequenceLength ", cell.sequence_length,
                             " exceeds this model's max_position_embeddings (", model.max_sequence_length(), ")"));
  if (cell.training && !model.has_loss())
    throw_bad_input(
        "training needs a model with an LM head (head 'masked-lm', 'causal-lm' or 'seq2seq-lm'); this model has none");
}

ModelInputs cell_inputs(const Model& model, const CellCall& cell) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(cell.seed);
  at::Tensor ids = at::randint(0, model.vocab_size(), {cell.batch_size, cell.sequence_length}, gen,
                               at::TensorOptions().dtype(at::kLong));
  ModelInputs inputs;
  inputs.input_ids = ids.to(model.options().device);
  return inputs;
}

namespace {

struct RestoreEval {
  Model& model;
  ~RestoreEval() {
    model.zero_grad();
    model.train(false);
  }
};

// One call of `cell`; `mark` is called after forward + loss and after backward (training only).
void call_once(Model& model, const CellCall& cell, const ModelInputs& inputs, torch::optim::Optimizer* optimizer,
               const std::function<void()>& mark) {
  if (!cell.training) {
    model.forward(inputs);
    return;
  }
  at::Tensor loss = model.loss(model.forward(inputs), inputs.input_ids);
  mark();  // forward (with the loss) ends
  loss.backward();
  mark();  // backward ends
  if (optimizer != nullptr) optimizer->step();
}

// Runs an empty parallel region on the intra-op threads. Between blocks the compute thread waits on JS and
// OpenMP's idle threads go to sleep; the first call of a block would pay for waking them inside its time
// (several times the tiny BERT's 0.3 ms call on a 2-core machine).
void wake_intra_op_threads() {
  at::parallel_for(0, at::get_num_threads(), 1, [](int64_t, int64_t) {});
}

torch::optim::Optimizer* optimizer_of(Model& model, const CellCall& cell) {
  return cell.training && cell.optimizer_step ? &model.optimizer() : nullptr;
}

}  // namespace

void in_cell_mode(Model& model, const CellCall& cell, const std::function<void()>& body) {
  RestoreEval restore{model};
  model.zero_grad();
  wake_intra_op_threads();
  if (!cell.training) {
    c10::InferenceMode inference;  // thread-local: this runs on the thread that does the calls
    model.train(false);
    body();
    return;
  }
  c10::AutoGradMode grad_mode(true);
  model.train(true);
  body();
}

CallTimes run_calls(Model& model, const CellCall& cell, const ModelInputs& inputs, int64_t calls) {
  const c10::Device device = model.options().device;
  const size_t phase_marks = cell.training ? 2 : 0;
  CallTimes r;
  in_cell_mode(model, cell, [&] {
    torch::optim::Optimizer* optimizer = optimizer_of(model, cell);
    Timeline timeline(device);
    std::vector<size_t> starts;
    starts.reserve(static_cast<size_t>(calls));
    for (int64_t i = 0; i < calls; ++i) {
      if (cell.training) model.zero_grad();  // untimed, before each call
      starts.push_back(timeline.mark());
      call_once(model, cell, inputs, optimizer, [&] { timeline.mark(); });
      timeline.mark();
    }
    timeline.finish();
    for (size_t start : starts) {
      const size_t end = start + 1 + phase_marks;
      r.seconds.push_back(timeline.seconds(start, end));
      if (device.is_cuda()) r.host_seconds.push_back(timeline.host_seconds(start, end));
      if (cell.training) {
        r.forward_seconds.push_back(timeline.seconds(start, start + 1));
        r.backward_seconds.push_back(timeline.seconds(start + 1, start + 2));
        if (optimizer != nullptr) r.optimizer_seconds.push_back(timeline.seconds(start + 2, end));
      }
    }
  });
  return r;
}

MemoryPeaks measure_memory(Model& model, const CellCall& cell, const ModelInputs& inputs) {
  const c10::Device device = model.options().device;
  MemoryPeaks r;
  in_cell_mode(model, cell, [&] {
    torch::optim::Optimizer* optimizer = optimizer_of(model, cell);
    synchronize(device);
    const auto measured = [&] {
      call_once(model, cell, inputs, optimizer, [] {});
      synchronize(device);
    };
    if (device.is_cuda()) {
      r.cuda = measure_cuda_peak(device, measured);
    } else {
      r.cpu = measure_cpu_peak(measured);
    }
  });
  return r;
}

}  // namespace tfbench
