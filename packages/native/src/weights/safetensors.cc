#include "weights/safetensors.h"

#include <c10/core/GradMode.h>

#include <fstream>

#include "errors.h"

namespace tfbench {
namespace {

c10::ScalarType safetensors_dtype(const std::string& name, const std::string& parameter) {
  if (name == "F32") return at::kFloat;
  if (name == "F16") return at::kHalf;
  if (name == "BF16") return at::kBFloat16;
  if (name == "F64") return at::kDouble;
  throw_bad_weights(c10::str("weights for '", parameter, "': dtype '", name,
                             "' is not supported (supported: F32, F16, BF16, F64)"));
}

}  // namespace

void load_weights(Model& model, const std::string& file, const std::vector<WeightEntry>& entries) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) throw_bad_weights(c10::str("cannot open weights file '", file, "'"));
  const auto file_size = static_cast<uint64_t>(in.tellg());

  struct Planned {
    const WeightEntry* entry;
    at::Tensor parameter;
    c10::ScalarType dtype;
  };
  std::vector<Planned> plan;
  plan.reserve(entries.size());
  for (const WeightEntry& e : entries) {
    at::Tensor p = model.parameter(model.canonical_name(e.parameter));
    if (!p.defined()) throw_bad_weights(c10::str("'", e.parameter, "' is not a parameter of this model"));
    const c10::ScalarType dtype = safetensors_dtype(e.dtype, e.parameter);
    if (p.sizes() != at::IntArrayRef(e.shape))
      throw_bad_weights(c10::str("shape mismatch for '", e.parameter, "': the model has ", p.sizes(),
                                 ", the file has ", at::IntArrayRef(e.shape)));
    const uint64_t bytes = static_cast<uint64_t>(p.numel()) * c10::elementSize(dtype);
    if (e.end < e.begin || e.end - e.begin != bytes)
      throw_bad_weights(c10::str("'", e.parameter, "': byte range [", e.begin, ", ", e.end, ") holds ",
                                 e.end - e.begin, " bytes but ", at::IntArrayRef(e.shape), " ", e.dtype, " needs ",
                                 bytes));
    if (e.end > file_size)
      throw_bad_weights(c10::str("'", e.parameter, "': byte range [", e.begin, ", ", e.end, ") lies past the end of '",
                                 file, "' (", file_size, " bytes)"));
    plan.push_back({&e, p, dtype});
  }

  at::NoGradGuard no_grad;
  for (const Planned& item : plan) {
    // One tensor at a time through a host buffer of the file's dtype; copy_ converts dtype and device.
    at::Tensor host = at::empty(item.parameter.sizes(), at::TensorOptions().dtype(item.dtype));
    in.seekg(static_cast<std::streamoff>(item.entry->begin));
    in.read(static_cast<char*>(host.data_ptr()), static_cast<std::streamsize>(item.entry->end - item.entry->begin));
    if (!in) throw_bad_weights(c10::str("reading '", item.entry->parameter, "' from '", file, "' failed"));
    item.parameter.copy_(host);
  }
}

}  // namespace tfbench
