// Session: owns one TF_Session. Runs go through a RunPlan (feeds, fetches and targets resolved to
// TF_Output/TF_Operation once) so a run in a tight loop does no name lookups.
//
// close() cancels what is in flight (TF_CloseSession), waits for those runs to return, then
// deletes the session; runs started after close() are refused with a typed error.
#pragma once

#include <napi.h>

#include <condition_variable>
#include <memory>
#include <mutex>

#include "common.h"
#include "graph.h"

namespace tfm {

struct SessionState {
  TF_Session* session = nullptr;
  std::shared_ptr<GraphState> graph;
  std::mutex mu;
  std::condition_variable idle;
  int inflight = 0;
  bool closed = false;

  // Returns false when the session is closed (the run must not start).
  bool BeginRun();
  void EndRun();
  // Idempotent and thread-safe; blocks until in-flight runs returned. Returns the close status.
  StatusCopy Close();
  ~SessionState();
};

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Session(const Napi::CallbackInfo& info);
  ~Session() override;

 private:
  Napi::Value Prepare(const Napi::CallbackInfo& info);
  Napi::Value RunSync(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value ListDevices(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);
  Napi::Value InFlight(const Napi::CallbackInfo& info);

  std::shared_ptr<SessionState> state_;
};

void CloseAllSessions(Napi::Env env);

}  // namespace tfm
