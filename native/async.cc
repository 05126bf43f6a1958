#include "async.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "common.h"

namespace tfm {
namespace {

// A cached thread pool: a task never waits for a busy thread. Process-wide (threads touch TF
// only, never an environment) and never destroyed, so no detached thread outlives it.
//
// A task goes to the thread that became idle last (a stack of waiters, each with its own condition
// variable), not to any waiter: a loop of runs then stays on one thread whose caches hold TF's
// state. With a shared condition variable the waiters took turns (measured: an awaited train step
// of the MTS benchmark, inline config, ran ~10 µs slower when two pool threads alternated).
class Pool {
 public:
  void Submit(std::function<void()> fn) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      Waiter* w = idle_.back();
      idle_.pop_back();
      w->task = std::move(fn);
      w->cv.notify_one();
      return;
    }
    lock.unlock();
    std::thread([this, first = std::move(fn)]() mutable {
      // Named, so that a look at the process (top -H, /proc/<pid>/task/*/comm) tells our threads
      // from TF's and Node's.
      pthread_setname_np(pthread_self(), "tfm_run_pool");
      Loop(std::move(first));
    }).detach();
  }

 private:
  struct Waiter {
    std::condition_variable cv;
    std::function<void()> task;  // set by Submit when it hands this thread a task
  };

  void Loop(std::function<void()> task) {
    Waiter self;
    for (;;) {
      task();
      task = nullptr;
      std::unique_lock<std::mutex> lock(mu_);
      idle_.push_back(&self);
      bool handed = self.cv.wait_for(lock, std::chrono::seconds(30),
                                     [&self] { return self.task != nullptr; });
      if (!handed) {
        // Idle long enough: let the thread go (Submit can no longer pick it: it is off the stack).
        idle_.erase(std::find(idle_.begin(), idle_.end(), &self));
        return;
      }
      task = std::move(self.task);
      self.task = nullptr;
    }
  }

  std::mutex mu_;
  std::vector<Waiter*> idle_;  // the most recently idle thread last
};

Pool& ThePool() {
  static Pool* pool = new Pool();
  return *pool;
}

void Deliver(Napi::Env env, Napi::Function, AsyncState* state, AsyncOp* raw);

}  // namespace

using Channel = Napi::TypedThreadSafeFunction<AsyncState, AsyncOp, Deliver>;

// Per environment. Pool threads hold it through a shared_ptr and deliver through the channel
// only while `alive`: at environment teardown Node destroys the thread-safe function whatever its
// thread count, so a pool thread must never touch it afterwards (that was a use-after-free).
struct AsyncState {
  std::mutex mu;
  bool alive = true;  // guarded by mu
  Channel channel;
  size_t pending = 0;  // JS thread only
};

namespace {

// JS thread. env is null when the environment is being torn down: then the op is just freed.
void Deliver(Napi::Env env, Napi::Function, AsyncState* state, AsyncOp* raw) {
  std::unique_ptr<AsyncOp> op(raw);
  if (env == nullptr || op == nullptr) return;
  Napi::HandleScope scope(env);
  try {
    op->Deferred().Resolve(op->Result(env));
  } catch (const Napi::Error& e) {
    op->Deferred().Reject(e.Value());
  }
  if (state && --state->pending == 0) state->channel.Unref(env);
}

}  // namespace

void RunOnPool(std::function<void()> fn) { ThePool().Submit(std::move(fn)); }

void InitAsync(Napi::Env env) {
  AddonData* data = Data(env);
  auto state = std::make_shared<AsyncState>();
  state->channel = Channel::New(env, "tf-monitored", 0, 1, state.get());
  state->channel.Unref(env);  // only pending ops keep the event loop alive
  data->async = state;
  // Registered after the channel, so it runs before Node's own teardown of the channel: from
  // here on, ops still running finish on the pool and are freed there.
  env.AddCleanupHook([state] {
    std::lock_guard<std::mutex> lock(state->mu);
    state->alive = false;
  });
}

Napi::Promise Schedule(Napi::Env env, std::unique_ptr<AsyncOp> op) {
  std::shared_ptr<AsyncState> state = Data(env)->async;
  Napi::Promise promise = op->Promise();
  if (state->pending++ == 0) state->channel.Ref(env);
  AsyncOp* raw = op.release();
  ThePool().Submit([raw, state]() {
    raw->Execute();
    std::lock_guard<std::mutex> lock(state->mu);
    if (!state->alive || state->channel.NonBlockingCall(raw) != napi_ok)
      delete raw;  // environment gone
  });
  return promise;
}

}  // namespace tfm
