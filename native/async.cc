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

struct AsyncState {
  Channel channel;
  size_t pending = 0;
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
  auto* state = new AsyncState();
  state->channel = Channel::New(env, "tf-monitored", 0, 1, state);
  state->channel.Unref(env);  // only pending ops keep the event loop alive
  data->async = state;
  // At teardown ops still running finish on the pool; their delivery then fails and frees them
  // there. The state is leaked on purpose (a few bytes per environment): a late task may still
  // read it.
  env.AddCleanupHook([state] { state->channel.Abort(); });
}

Napi::Promise Schedule(Napi::Env env, std::unique_ptr<AsyncOp> op) {
  AsyncState* state = Data(env)->async;
  Napi::Promise promise = op->Promise();
  // Each task holds the channel (Acquire/Release), so it outlives the environment's teardown
  // until the last task has tried to deliver.
  if (state->channel.Acquire() != napi_ok) {
    op->Deferred().Reject(Napi::Error::New(env, "the environment is shutting down").Value());
    return promise;
  }
  if (state->pending++ == 0) state->channel.Ref(env);
  AsyncOp* raw = op.release();
  Channel channel = state->channel;
  ThePool().Submit([raw, channel]() mutable {
    raw->Execute();
    if (channel.NonBlockingCall(raw) != napi_ok) delete raw;  // environment gone
    channel.Release();
  });
  return promise;
}

}  // namespace tfm
