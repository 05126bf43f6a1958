// Async operations: the blocking half runs on our own thread pool, never on libuv's.
//
// Why not Napi::AsyncWorker: libuv's pool has 4 threads (or UV_THREADPOOL_SIZE). A run that blocks
// inside TF (a queue dequeue waiting for an enqueue, a worker waiting for the chief) would hold a
// pool thread; enough of them and the run that would unblock them never starts. Our pool grows a
// thread whenever every thread is busy, so a blocked run never starves another one, and idle
// threads exit after a while.
//
// Contract for an AsyncOp: the constructor and Complete() run on the JS thread; Execute() runs on
// a pool thread and touches TF only (no N-API). An op holds no napi_ref: only native state
// (shared_ptr), so it can be destroyed on any thread when its environment is already gone.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>

namespace tfm {

class AsyncOp {
 public:
  explicit AsyncOp(Napi::Env env) : deferred_(Napi::Promise::Deferred::New(env)) {}
  virtual ~AsyncOp() = default;
  virtual void Execute() = 0;
  // Resolve or reject; a thrown Napi::Error rejects the promise with it.
  virtual Napi::Value Result(Napi::Env env) = 0;
  Napi::Promise Promise() const { return deferred_.Promise(); }
  Napi::Promise::Deferred& Deferred() { return deferred_; }

 private:
  Napi::Promise::Deferred deferred_;
};

// Starts op on the pool; returns its promise.
Napi::Promise Schedule(Napi::Env env, std::unique_ptr<AsyncOp> op);

// Sets up the completion channel for this environment (called once from Init).
void InitAsync(Napi::Env env);

// Runs fn on a pool thread (used for work that completes elsewhere).
void RunOnPool(std::function<void()> fn);

}  // namespace tfm
