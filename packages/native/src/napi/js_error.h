// C++ exceptions -> JS Errors with a stable `code` (NativeErrorCode in lib/types.ts) and the message without
// libtorch's backtrace. Every entry point goes through one of these: no exception crosses into JS uncaught.
#pragma once

#include <napi.h>

#include <functional>
#include <string>

namespace tfbench {
namespace js {

struct ErrorInfo {
  std::string code;
  std::string message;
};
// Call inside a catch block: classifies the exception being handled (tfbench::Error keeps its code;
// out-of-memory -> OOM; other c10::Error / std::exception -> TORCH_ERROR), message without backtrace.
ErrorInfo current_exception_info();
Napi::Error to_js_error(Napi::Env env, const ErrorInfo& info);
// For synchronous entry points: runs `body`, rethrowing any C++ exception as a JS Error with a code.
Napi::Value guard_sync(Napi::Env env, const std::function<Napi::Value()>& body);
// For asynchronous entry points: a promise rejected with the exception being handled (call inside a catch block).
Napi::Promise rejected_promise(Napi::Env env);

}  // namespace js
}  // namespace tfbench
