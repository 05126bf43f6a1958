// Server: owns one TF_Server (TF's own gRPC runtime).
//
// TF cannot shut down a started gRPC server: TF_ServerStop answers UNIMPLEMENTED ("Clean shutdown
// is not currently implemented") and TF_DeleteServer on a started server aborts the process in a
// CHECK. So, as in Python, a started server serves until the process exits: close() makes the JS
// object unusable and leaves the TF_Server running (deliberately leaked). A server never started
// is deleted, after every pending join() returned.
#pragma once

#include <napi.h>

#include <condition_variable>
#include <memory>
#include <mutex>

#include "common.h"

namespace tfm {

struct ServerState {
  TF_Server* server = nullptr;
  std::mutex mu;
  std::condition_variable noJoiners;
  int joiners = 0;
  bool started = false;
  bool closed = false;  // set by close() on the JS thread: no method may use `server` after it
  bool deleted = false;
  std::string target;
  ~ServerState();
};

class Server : public Napi::ObjectWrap<Server> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Server(const Napi::CallbackInfo& info);

 private:
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Join(const Napi::CallbackInfo& info);
  Napi::Value Target(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<ServerState> state_;
};

}  // namespace tfm
