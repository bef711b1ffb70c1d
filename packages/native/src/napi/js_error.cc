#include "napi/js_error.h"

#include <c10/util/Exception.h>

#include <new>

#include "errors.h"

namespace tfbench {
namespace js {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

bool mentions_oom(const std::string& m) {
  // libtorch 1.13's CPU allocator says "can't allocate memory", 2.x's "not enough memory".
  for (const char* phrase : {"can't allocate memory", "not enough memory", "Could not allocate memory", "out of memory",
                             "Out of memory"}) {
    if (m.find(phrase) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

ErrorInfo current_exception_info() {
  try {
    throw;
  } catch (const Error& e) {
    return {e.code(), trim(e.what())};
  } catch (const c10::OutOfMemoryError& e) {
    return {"OOM", trim(e.what_without_backtrace())};
  } catch (const c10::Error& e) {
    std::string message = trim(e.what_without_backtrace());
    return {mentions_oom(message) ? "OOM" : "TORCH_ERROR", message};
  } catch (const std::bad_alloc& e) {
    return {"OOM", c10::str("out of memory (", e.what(), ")")};
  } catch (const Napi::Error& e) {
    return {"BAD_INPUT", e.Message()};  // a JS value that could not be read
  } catch (const std::exception& e) {
    return {"TORCH_ERROR", trim(e.what())};
  } catch (...) {
    return {"TORCH_ERROR", "unknown C++ exception"};
  }
}

Napi::Error to_js_error(Napi::Env env, const ErrorInfo& info) {
  Napi::Error error = Napi::Error::New(env, info.message);
  error.Value().Set("code", Napi::String::New(env, info.code));
  return error;
}

Napi::Value guard_sync(Napi::Env env, const std::function<Napi::Value()>& body) {
  ErrorInfo info;
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;  // already a JS exception
  } catch (...) {
    info = current_exception_info();
  }
  throw to_js_error(env, info);
}

Napi::Promise rejected_promise(Napi::Env env) {
  ErrorInfo info = current_exception_info();
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(to_js_error(env, info).Value());
  return deferred.Promise();
}

}  // namespace js
}  // namespace tfbench
