// Errors that reach JavaScript with a stable `code` (see NativeErrorCode in lib/types.ts).
// Model, measurement and weight code throws these; src/napi/ turns them (and any other C++ exception)
// into a rejected promise or a thrown JS Error.
#pragma once

#include <stdexcept>
#include <string>

namespace tfbench {

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

[[noreturn]] inline void throw_bad_spec(const std::string& message) { throw Error("BAD_SPEC", message); }
[[noreturn]] inline void throw_bad_input(const std::string& message) { throw Error("BAD_INPUT", message); }
[[noreturn]] inline void throw_bad_weights(const std::string& message) { throw Error("BAD_WEIGHTS", message); }
[[noreturn]] inline void throw_no_cuda(const std::string& message) { throw Error("NO_CUDA", message); }

}  // namespace tfbench
