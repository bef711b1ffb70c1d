#include "napi/compute_thread.h"

#include <ATen/Parallel.h>
#include <c10/util/StringUtil.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#ifdef __linux__
#include <sched.h>
#endif

#include "napi/js_error.h"

namespace tfbench {
namespace js {

namespace {
std::atomic<int> g_threads{0};  // 0: not chosen yet

// Physical cores among the CPUs this process may run on (Linux: affinity mask + sysfs topology); 0 if unknown.
int physical_cores_available() {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
  std::set<std::pair<long, long>> cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    auto read_id = [cpu](const char* what) -> long {
      std::ifstream in(c10::str("/sys/devices/system/cpu/cpu", cpu, "/topology/", what));
      long id = -1;
      return (in >> id) ? id : -1;
    };
    const long package = read_id("physical_package_id"), core = read_id("core_id");
    cores.insert(core < 0 ? std::make_pair(-1L - cpu, 0L) : std::make_pair(package, core));
  }
  return static_cast<int>(cores.size());
#else
  return 0;
#endif
}

// libtorch's default (one thread per physical core as cpuinfo sees it, or OMP_NUM_THREADS), raised to the
// physical cores this process may use when cpuinfo saw fewer (it reports 1 core on some VMs).
int default_thread_count() {
  const int torch_default = at::get_num_threads();
  if (std::getenv("OMP_NUM_THREADS") != nullptr || std::getenv("MKL_NUM_THREADS") != nullptr) return torch_default;
  return std::max(torch_default, physical_cores_available());
}

void apply_thread_count() {
  const int n = g_threads.load();
  if (n > 0 && at::get_num_threads() != n) at::set_num_threads(n);
}
}  // namespace

void set_thread_count(int threads) {
  g_threads.store(threads);
  at::set_num_threads(threads);
}

int thread_count() {
  int n = g_threads.load();
  if (n == 0) {
    n = default_thread_count();
    int expected = 0;
    if (g_threads.compare_exchange_strong(expected, n)) at::set_num_threads(n);
    n = g_threads.load();
  }
  return n;
}

namespace {

// Every piece of libtorch work runs on this one thread, never directly on libuv's pool. OpenMP keeps a team
// of threads per calling thread: work hopping between pool threads would start a second team whose idle
// threads spin beside the busy one, and on a 2-core machine that made every call after the first block up
// to 50% slower. The thread and its queue are never destroyed (they may be in use while the process exits).
class ComputeThread {
 public:
  static ComputeThread& instance() {
    static ComputeThread* thread = new ComputeThread();
    return *thread;
  }

  // Runs `task` on the compute thread and waits for it; rethrows what it threw.
  void run(const std::function<void()>& task) {
    std::packaged_task<void()> job(task);
    std::future<void> done = job.get_future();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(job));
    }
    ready_.notify_one();
    done.get();
  }

 private:
  ComputeThread() {
    std::thread([this] { loop(); }).detach();
  }

  void loop() {
    for (;;) {
      std::packaged_task<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !queue_.empty(); });
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<void()>> queue_;
};

class PromiseWorker final : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, Work work, Done done, std::shared_ptr<void> hold)
      : Napi::AsyncWorker(env, "tfbench"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        done_(std::move(done)),
        hold_(std::move(hold)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  // On a libuv pool thread, which hands the work to the compute thread and waits.
  void Execute() override {
    try {
      ComputeThread::instance().run([this] {
        apply_thread_count();
        work_();
      });
    } catch (...) {
      failed_ = true;
      error_ = current_exception_info();
    }
  }

  void OnOK() override {
    hold_.reset();
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (failed_) {
      deferred_.Reject(to_js_error(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(done_(env));
    } catch (...) {
      deferred_.Reject(to_js_error(env, current_exception_info()).Value());
    }
  }

  void OnError(const Napi::Error& e) override {
    hold_.reset();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  std::shared_ptr<void> hold_;
  bool failed_ = false;
  ErrorInfo error_;
};

}  // namespace

Napi::Promise run_async(Napi::Env env, Work work, Done done, std::shared_ptr<void> hold) {
  auto* worker = new PromiseWorker(env, std::move(work), std::move(done), std::move(hold));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace js
}  // namespace tfbench
