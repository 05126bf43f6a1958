// Server: owns one TF_Server (TF's own gRPC runtime). close() stops the server, waits for every
// pending join() to return, then deletes it (the order TF requires: a joined server must not be
// deleted under the joiner).
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
  bool stopped = false;
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
