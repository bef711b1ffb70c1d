#include "weights/safetensors.h"

#include <c10/core/GradMode.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <utility>

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
  // A FIFO would block the open below, a directory opens but cannot be read: refuse anything else up front.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw_bad_weights(c10::str("cannot open weights file '", file, "': ",
                               std::filesystem::exists(file, ec) ? "not a regular file" : "no such file"));
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) throw_bad_weights(c10::str("cannot open weights file '", file, "'"));
  const std::streamoff end_of_file = in.tellg();
  if (end_of_file < 0) throw_bad_weights(c10::str("cannot find the size of weights file '", file, "'"));
  const auto file_size = static_cast<uint64_t>(end_of_file);

  // The file's own layout: an 8-byte little-endian header length N, N bytes of header, then the data. Every
  // range must lie in the data, whatever the caller parsed.
  if (file_size < 8)
    throw_bad_weights(c10::str("'", file, "' is ", file_size, " bytes: too short for a safetensors file"));
  unsigned char prefix[8];
  in.seekg(0);
  in.read(reinterpret_cast<char*>(prefix), 8);
  if (!in) throw_bad_weights(c10::str("reading the header length of '", file, "' failed"));
  uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | prefix[i];
  if (header_length > file_size - 8)
    throw_bad_weights(c10::str("'", file, "': header length ", header_length, " runs past the end of the file (",
                               file_size, " bytes)"));
  const uint64_t data_start = 8 + header_length;

  struct Planned {
    const WeightEntry* entry;
    std::string name;
    at::Tensor parameter;
    c10::ScalarType dtype;
  };
  std::vector<Planned> plan;
  plan.reserve(entries.size());
  for (const WeightEntry& e : entries) {
    const std::string name = model.canonical_name(e.parameter);
    at::Tensor p = model.parameter(name);
    if (!p.defined()) throw_bad_weights(c10::str("'", e.parameter, "' is not a parameter of this model"));
    const c10::ScalarType dtype = safetensors_dtype(e.dtype, e.parameter);
    if (p.sizes() != at::IntArrayRef(e.shape))
      throw_bad_weights(c10::str("shape mismatch for '", e.parameter, "': the model has ", p.sizes(),
                                 ", the file has ", at::IntArrayRef(e.shape)));
    const uint64_t bytes = static_cast<uint64_t>(p.numel()) * c10::elementSize(dtype);
    if (e.end < e.begin || e.end - e.begin != bytes)
      throw_bad_weights(c10::str("'", e.parameter, "': byte range [", e.begin, ", ", e.end, ") holds ",
                                 e.end < e.begin ? 0 : e.end - e.begin, " bytes but ", at::IntArrayRef(e.shape), " ",
                                 e.dtype, " needs ", bytes));
    if (e.end > file_size)
      throw_bad_weights(c10::str("'", e.parameter, "': byte range [", e.begin, ", ", e.end, ") lies past the end of '",
                                 file, "' (", file_size, " bytes)"));
    if (e.begin < data_start)
      throw_bad_weights(c10::str("'", e.parameter, "': byte range [", e.begin, ", ", e.end, ") starts inside the header of '",
                                 file, "' (its data starts at byte ", data_start, ")"));
    plan.push_back({&e, name, p, dtype});
  }
  // Each parameter once, each byte read for one parameter at most: sorted by name, then by position.
  std::vector<const Planned*> order;
  for (const Planned& item : plan) order.push_back(&item);
  std::sort(order.begin(), order.end(), [](const Planned* a, const Planned* b) { return a->name < b->name; });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i]->name == order[i - 1]->name)
      throw_bad_weights(c10::str("'", order[i]->name, "' is given more than once"));
  std::sort(order.begin(), order.end(), [](const Planned* a, const Planned* b) {
    return std::make_pair(a->entry->begin, a->entry->end) < std::make_pair(b->entry->begin, b->entry->end);
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const WeightEntry& a = *order[i - 1]->entry;
    const WeightEntry& b = *order[i]->entry;
    if (b.begin < a.end && a.begin < a.end && b.begin < b.end)
      throw_bad_weights(c10::str("'", a.parameter, "' [", a.begin, ", ", a.end, ") and '", b.parameter, "' [", b.begin, ", ",
                                 b.end, ") overlap in '", file, "'"));
  }

  at::NoGradGuard no_grad;
  for (const Planned& item : plan) {
    // One tensor at a time through a host buffer of the file's dtype, freed before the next: the host holds one
    // tensor, never the file (a shard may be larger than the RAM). copy_ converts dtype and device.
    at::Tensor host = at::empty(item.parameter.sizes(), at::TensorOptions().dtype(item.dtype));
    in.seekg(static_cast<std::streamoff>(item.entry->begin));
    in.read(static_cast<char*>(host.data_ptr()), static_cast<std::streamsize>(item.entry->end - item.entry->begin));
    if (!in) throw_bad_weights(c10::str("reading '", item.entry->parameter, "' from '", file, "' failed"));
    item.parameter.copy_(host);
  }
}

}  // namespace tfbench
