// Copies tensors out of a safetensors file into a model's parameters. TypeScript parses the header and
// passes absolute byte ranges; this side trusts none of it: it checks them against the file, reads the bytes
// and converts dtype and device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/model.h"

namespace tfbench {

struct WeightEntry {
  std::string parameter;       // a name from Model::parameters() (or an alias, see Model::canonical_name)
  std::string dtype;           // "F32" | "F16" | "BF16" | "F64"
  std::vector<int64_t> shape;
  uint64_t begin = 0;          // absolute byte offsets in the file, [begin, end)
  uint64_t end = 0;
};

// Checks the file and every entry first (a regular file with a header length that fits it; a known parameter,
// given once, of equal shape; a byte range of the right length inside the file's data section, overlapping no
// other), so a bad entry changes nothing; then copies them one by one. Throws BAD_WEIGHTS.
void load_weights(Model& model, const std::string& file, const std::vector<WeightEntry>& entries);

}  // namespace tfbench
