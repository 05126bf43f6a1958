#include "async.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common.h"

namespace tfm {
namespace {

// A cached thread pool: a task never waits for a busy thread. Process-wide (threads touch TF
// only, never an environment) and never destroyed, so no detached thread outlives it.
class Pool {
 public:
  void Submit(std::function<void()> fn) {
    std::unique_lock<std::mutex> lock(mu_);
    tasks_.push_back(std::move(fn));
    if (idle_ >= tasks_.size()) {
      cv_.notify_one();
      return;
    }
    std::thread([this] { Loop(); }).detach();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      while (tasks_.empty()) {
        idle_++;
        bool woke = cv_.wait_for(lock, std::chrono::seconds(30), [this] { return !tasks_.empty(); });
        idle_--;
        if (!woke) return;  // idle long enough: let the thread go
      }
      std::function<void()> fn = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  size_t idle_ = 0;
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
  bool alive = true;   // guarded by mu
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
    if (!state->alive || state->channel.NonBlockingCall(raw) != napi_ok) delete raw;  // environment gone
  });
  return promise;
}

}  // namespace tfm
