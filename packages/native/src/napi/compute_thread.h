// Long work runs off the JS thread, on one dedicated compute thread, and settles a promise; the intra-op
// thread count every piece of that work applies first.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>

namespace tfbench {
namespace js {

using Work = std::function<void()>;                  // runs on the compute thread; may throw anything
using Done = std::function<Napi::Value(Napi::Env)>;  // runs on the JS thread once work succeeded
// Queues `work` and returns a promise that resolves with done(env) or rejects with a coded Error.
// `hold` is released on the JS thread before the promise settles (used for a model's busy flag).
Napi::Promise run_async(Napi::Env env, Work work, Done done, std::shared_ptr<void> hold = nullptr);

// Intra-op threads: the count the compute thread applies to itself before each piece of work (OpenMP's thread
// count is per calling thread, so setting it on the JS thread alone would not reach the work).
// The default is libtorch's (OMP_NUM_THREADS when set), raised to the number of physical cores this process
// may use when libtorch detected fewer.
void set_thread_count(int threads);
int thread_count();

}  // namespace js
}  // namespace tfbench
