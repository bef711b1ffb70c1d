// Reading JS option objects field by field, with messages that name the field ("options.batchSize must be ...").
#pragma once

#include <napi.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace tfbench {
namespace js {

// Reads the fields of an options object. Every problem throws tfbench::Error(code, "<what>.<field> ...").
class Fields {
 public:
  // `value` must be an object; with `optional`, undefined reads as an object with no fields.
  Fields(const Napi::Value& value, std::string what, std::string code, bool optional = false);

  bool has(const char* name) const;
  Napi::Value get(const char* name, const char* expected) const;  // required
  std::string one_of(const char* name, std::initializer_list<const char*> allowed) const;
  std::string string(const char* name) const;
  bool boolean(const char* name) const;
  bool boolean_or(const char* name, bool fallback) const;
  double number(const char* name, double min) const;   // finite, >= min
  int64_t integer(const char* name, int64_t min) const;  // a safe integer, >= min
  std::string path(const char* name) const { return what_ + "." + name; }
  [[noreturn]] void fail(const char* name, const std::string& message) const;

 private:
  Napi::Object object_;
  bool empty_ = false;
  std::string what_;
  std::string code_;
};

// A tensor shape: an array of safe non-negative integers (HostTensor.shape, a weight entry's shape).
std::vector<int64_t> shape_field(const Fields& fields, const char* name);

// "a number", "an array", ... for messages.
std::string type_name(const Napi::Value& value);

}  // namespace js
}  // namespace tfbench
