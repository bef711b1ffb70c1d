#include "napi/tensor.h"

#include <c10/util/Exception.h>

#include <cstring>
#include <vector>

#include "napi/fields.h"

namespace tfbench {
namespace js {

at::Tensor tensor_from_js(const Napi::Value& value, const std::string& what) {
  Fields f(value, what, "BAD_INPUT");
  const std::string dtype = f.one_of("dtype", {"float32", "float16", "bfloat16", "int64"});
  const std::vector<int64_t> shape = shape_field(f, "shape");
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;

  Napi::Value data = f.get("data", "a typed array");
  napi_typedarray_type want;
  c10::ScalarType scalar;
  const char* array_name;
  if (dtype == "float32") {
    want = napi_float32_array, scalar = at::kFloat, array_name = "Float32Array";
  } else if (dtype == "int64") {
    want = napi_bigint64_array, scalar = at::kLong, array_name = "BigInt64Array";
  } else {
    want = napi_uint16_array, array_name = "Uint16Array";
    scalar = dtype == "float16" ? at::kHalf : at::kBFloat16;
  }
  if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != want)
    f.fail("data", c10::str("must be a ", array_name, " for dtype '", dtype, "', got ", type_name(data)));
  auto typed = data.As<Napi::TypedArray>();
  if (static_cast<int64_t>(typed.ElementLength()) != numel)
    f.fail("data", c10::str("has ", typed.ElementLength(), " elements but shape ", at::IntArrayRef(shape), " needs ",
                            numel));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(scalar));
  if (numel > 0) {
    const auto* src = static_cast<const uint8_t*>(typed.ArrayBuffer().Data()) + typed.ByteOffset();
    std::memcpy(t.data_ptr(), src, typed.ByteLength());
  }
  return t;
}

Napi::Object tensor_to_js(Napi::Env env, const at::Tensor& tensor) {
  TORCH_INTERNAL_ASSERT(tensor.device().is_cpu() && tensor.is_contiguous(), "tensor_to_js needs a contiguous CPU tensor");
  const auto n = static_cast<size_t>(tensor.numel());
  Napi::Object out = Napi::Object::New(env);
  Napi::TypedArray data;
  const char* dtype;
  switch (tensor.scalar_type()) {
    case at::kFloat: data = Napi::Float32Array::New(env, n), dtype = "float32"; break;
    case at::kLong: data = Napi::BigInt64Array::New(env, n), dtype = "int64"; break;
    case at::kHalf: data = Napi::Uint16Array::New(env, n), dtype = "float16"; break;
    case at::kBFloat16: data = Napi::Uint16Array::New(env, n), dtype = "bfloat16"; break;
    default: TORCH_CHECK(false, "tensor_to_js: unsupported dtype ", tensor.scalar_type());
  }
  if (n > 0) {
    std::memcpy(static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset(), tensor.data_ptr(),
                n * tensor.element_size());
  }
  Napi::Array shape = Napi::Array::New(env, tensor.dim());
  for (int64_t i = 0; i < tensor.dim(); ++i) shape.Set(static_cast<uint32_t>(i), Napi::Number::New(env, tensor.size(i)));
  out.Set("dtype", dtype);
  out.Set("shape", shape);
  out.Set("data", data);
  return out;
}

}  // namespace js
}  // namespace tfbench
