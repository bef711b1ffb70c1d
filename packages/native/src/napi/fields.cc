#include "napi/fields.h"

#include <c10/util/Exception.h>

#include <cmath>
#include <utility>

#include "errors.h"

namespace tfbench {
namespace js {

std::string type_name(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_bigint: return "a bigint";
    case napi_object:
      if (v.IsArray()) return "an array";
      if (v.IsTypedArray()) return "a typed array";
      return "an object";
    default: return "a value of another type";
  }
}

Fields::Fields(const Napi::Value& value, std::string what, std::string code, bool optional)
    : what_(std::move(what)), code_(std::move(code)) {
  if (optional && value.IsUndefined()) {
    empty_ = true;
    return;
  }
  if (!value.IsObject() || value.IsArray())
    throw Error(code_, c10::str(what_, " must be an object, got ", type_name(value)));
  object_ = value.As<Napi::Object>();
}

void Fields::fail(const char* name, const std::string& message) const {
  throw Error(code_, c10::str(path(name), " ", message));
}

bool Fields::has(const char* name) const {
  return !empty_ && object_.Has(name) && !object_.Get(name).IsUndefined();
}

Napi::Value Fields::get(const char* name, const char* expected) const {
  if (!has(name)) fail(name, c10::str("is missing (expected ", expected, ")"));
  return object_.Get(name);
}

std::string Fields::one_of(const char* name, std::initializer_list<const char*> allowed) const {
  std::string expected = "one of";
  const char* sep = " ";
  for (const char* a : allowed) {
    expected += c10::str(sep, "'", a, "'");
    sep = ", ";
  }
  Napi::Value v = get(name, expected.c_str());
  if (!v.IsString()) fail(name, c10::str("must be ", expected, ", got ", type_name(v)));
  std::string s = v.As<Napi::String>().Utf8Value();
  for (const char* a : allowed) {
    if (s == a) return s;
  }
  fail(name, c10::str("must be ", expected, ", got '", s, "'"));
}

std::string Fields::string(const char* name) const {
  Napi::Value v = get(name, "a string");
  if (!v.IsString()) fail(name, c10::str("must be a string, got ", type_name(v)));
  return v.As<Napi::String>().Utf8Value();
}

bool Fields::boolean(const char* name) const {
  Napi::Value v = get(name, "a boolean");
  if (!v.IsBoolean()) fail(name, c10::str("must be a boolean, got ", type_name(v)));
  return v.As<Napi::Boolean>().Value();
}

bool Fields::boolean_or(const char* name, bool fallback) const {
  return has(name) ? boolean(name) : fallback;
}

double Fields::number(const char* name, double min) const {
  Napi::Value v = get(name, "a number");
  if (!v.IsNumber()) fail(name, c10::str("must be a number, got ", type_name(v)));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) fail(name, c10::str("must be a finite number, got ", d));
  if (d < min) fail(name, c10::str("must be >= ", min, ", got ", d));
  return d;
}

int64_t Fields::integer(const char* name, int64_t min) const {
  Napi::Value v = get(name, "an integer");
  if (!v.IsNumber()) fail(name, c10::str("must be an integer, got ", type_name(v)));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9007199254740991.0)
    fail(name, c10::str("must be an integer, got ", d));
  auto i = static_cast<int64_t>(d);
  if (i < min) fail(name, c10::str("must be >= ", min, ", got ", i));
  return i;
}

std::vector<int64_t> shape_field(const Fields& fields, const char* name) {
  Napi::Value value = fields.get(name, "an array of integers");
  if (!value.IsArray()) fields.fail(name, c10::str("must be an array of integers, got ", type_name(value)));
  auto dims = value.As<Napi::Array>();
  std::vector<int64_t> shape;
  shape.reserve(dims.Length());
  for (uint32_t i = 0; i < dims.Length(); ++i) {
    Napi::Value dim = dims.Get(i);
    double x = dim.IsNumber() ? dim.As<Napi::Number>().DoubleValue() : -1.0;
    // Bounded before the cast: converting a double past int64's range is undefined behaviour.
    if (!(x >= 0.0 && x <= 9007199254740991.0) || std::trunc(x) != x)
      fields.fail(name, c10::str("must hold safe non-negative integers; item ", i, " is not one"));
    shape.push_back(static_cast<int64_t>(x));
  }
  return shape;
}

}  // namespace js
}  // namespace tfbench
