// The breakdown call: one call of a cell timed and memory-measured module by module.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "measure/calls.h"
#include "models/model.h"

namespace tfbench {

// One module of a breakdown call (Model::set_probe names them), or a training phase after the forward pass
// ("loss", "backward", "optimizer").
struct ModuleCost {
  std::string module;
  double seconds = 0.0;      // host clock, the device synchronised at both ends
  int64_t before_bytes = 0;  // CPU: RSS when the module starts; CUDA: bytes allocated to tensors then
  int64_t peak_bytes = 0;    // CPU: peak RSS while it runs; CUDA: peak bytes allocated while it runs
};

// The forward pass module by module; in training then the loss, backward and optimizer phases.
std::vector<ModuleCost> measure_breakdown(Model& model, const CellCall& cell, const ModelInputs& inputs);

}  // namespace tfbench
