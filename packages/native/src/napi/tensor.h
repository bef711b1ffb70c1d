// HostTensor { dtype, shape, data } (lib/types.ts) <-> at::Tensor, always by copy.
#pragma once

#include <napi.h>

#include <ATen/ATen.h>

#include <string>

namespace tfbench {
namespace js {

// HostTensor -> a CPU tensor holding a copy of the data. Throws BAD_INPUT naming `what`.
at::Tensor tensor_from_js(const Napi::Value& value, const std::string& what);
// A contiguous CPU tensor (float32, float16, bfloat16 or int64) -> HostTensor holding a copy.
Napi::Object tensor_to_js(Napi::Env env, const at::Tensor& tensor);

}  // namespace js
}  // namespace tfbench
