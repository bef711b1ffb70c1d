#include "measure/breakdown.h"

#include <torch/optim/optimizer.h>

#include <utility>

#include "measure/clock.h"
#include "measure/cpu_memory.h"
#include "cuda.h"

namespace tfbench {
namespace {

// Time and memory of each module of one call: every mark synchronises the device, closes the running module
// and starts the next with a fresh peak (CPU: VmHWM reset; CUDA: the allocator's peak stats reset).
class ModuleMeter {
 public:
  // Free heap pages go back to the OS first (as before the memory call), so each module's increase is what
  // it touches anew, not hidden by pages earlier calls left mapped.
  explicit ModuleMeter(const c10::Device& device) : device_(device) {
    release_free_heap();
    start();
  }

  void mark(const std::string& module) {
    synchronize(device_);
    ModuleCost cost;
    cost.module = module;
    cost.seconds = monotonic_seconds() - started_;
    cost.before_bytes = before_;
    cost.peak_bytes = peak_bytes();
    costs_.push_back(std::move(cost));
    start();
  }
  std::vector<ModuleCost> take() { return std::move(costs_); }

 private:
  void start() {
    if (device_.is_cuda()) {
      reset_cuda_peak(device_.index());
      before_ = cuda_allocated(device_.index()).current_bytes;
    } else {
      reset_cpu_peak();
      before_ = read_cpu_memory().rss_bytes;
    }
    started_ = monotonic_seconds();
  }
  int64_t peak_bytes() const {
    return device_.is_cuda() ? cuda_allocated(device_.index()).peak_bytes : read_cpu_memory().hwm_bytes;
  }

  c10::Device device_;
  double started_ = 0.0;
  int64_t before_ = 0;
  std::vector<ModuleCost> costs_;
};

// Unsets the model's probe however the breakdown call ends.
struct ClearProbe {
  Model& model;
  ~ClearProbe() { model.set_probe(nullptr); }
};

}  // namespace

std::vector<ModuleCost> measure_breakdown(Model& model, const CellCall& cell, const ModelInputs& inputs) {
  const c10::Device device = model.options().device;
  std::vector<ModuleCost> costs;
  in_cell_mode(model, cell, [&] {
    torch::optim::Optimizer* optimizer = cell.training && cell.optimizer_step ? &model.optimizer() : nullptr;
    ClearProbe clear_probe{model};
    synchronize(device);
    ModuleMeter meter(device);
    model.set_probe([&](const std::string& module) { meter.mark(module); });
    if (!cell.training) {
      model.forward(inputs);
      costs = meter.take();
      return;
    }
    at::Tensor loss = model.loss(model.forward(inputs), inputs.input_ids);
    model.set_probe(nullptr);
    meter.mark("loss");
    loss.backward();
    meter.mark("backward");
    if (optimizer != nullptr) {
      optimizer->step();
      meter.mark("optimizer");
    }
    costs = meter.take();
  });
  return costs;
}

}  // namespace tfbench
