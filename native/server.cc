#include "server.h"

#include "async.h"

namespace tfm {

ServerState::~ServerState() {
  // Deleting a started TF server aborts the process (see server.h): only unstarted ones go.
  if (server && !deleted && !started) TF.TF_DeleteServer(server);
}

namespace {

std::shared_ptr<ServerState> Live(Napi::Env env, const std::shared_ptr<ServerState>& s) {
  ThrowIfClosed(env, !s, "The server is closed.");
  std::lock_guard<std::mutex> lock(s->mu);
  ThrowIfClosed(env, s->closed || s->deleted, "The server is closed.");
  return s;
}

class JoinOp : public AsyncOp {
 public:
  JoinOp(Napi::Env env, std::shared_ptr<ServerState> s) : AsyncOp(env), s_(std::move(s)) {}
  void Execute() override {
    StatusPtr st = NewStatus();
    TF.TF_ServerJoin(s_->server, st.get());
    status_.From(st.get());
    std::lock_guard<std::mutex> lock(s_->mu);
    if (--s_->joiners == 0) s_->noJoiners.notify_all();
  }
  Napi::Value Result(Napi::Env env) override {
    if (!status_.ok()) throw MakeError(env, status_);
    return env.Undefined();
  }

 private:
  std::shared_ptr<ServerState> s_;
  StatusCopy status_;
};

class CloseOp : public AsyncOp {
 public:
  CloseOp(Napi::Env env, std::shared_ptr<ServerState> s) : AsyncOp(env), s_(std::move(s)) {}
  void Execute() override {
    std::unique_lock<std::mutex> lock(s_->mu);
    if (s_->deleted) return;
    s_->deleted = true;       // the JS object is unusable from now on
    if (s_->started) return;  // TF cannot stop it: it serves until the process exits
    s_->noJoiners.wait(lock, [this] { return s_->joiners == 0; });
    lock.unlock();
    TF.TF_DeleteServer(s_->server);
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<ServerState> s_;
};

}  // namespace

Napi::Function Server::Init(Napi::Env env) {
  return DefineClass(env, "NativeServer",
                     {
                         InstanceMethod<&Server::Start>("start"),
                         InstanceMethod<&Server::Stop>("stop"),
                         InstanceMethod<&Server::Join>("join"),
                         InstanceMethod<&Server::Target>("target"),
                         InstanceMethod<&Server::Close>("close"),
                     });
}

// new NativeServer(serverDef: Uint8Array)
Server::Server(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Server>(info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  if (!info[0].IsTypedArray()) ThrowType(env, "serverDef must be a Uint8Array");
  Napi::Uint8Array def = info[0].As<Napi::Uint8Array>();
  StatusPtr st = NewStatus();
  TF_Server* s = TF.TF_NewServer(def.Data(), def.ByteLength(), st.get());
  ThrowIfError(env, st.get());
  state_ = std::make_shared<ServerState>();
  state_->server = s;
  state_->target = TF.TF_ServerTarget(s);
}

Napi::Value Server::Start(const Napi::CallbackInfo& info) {
  auto s = Live(info.Env(), state_);
  StatusPtr st = NewStatus();
  TF.TF_ServerStart(s->server, st.get());
  ThrowIfError(info.Env(), st.get());
  std::lock_guard<std::mutex> lock(s->mu);
  s->started = true;
  return info.Env().Undefined();
}

Napi::Value Server::Stop(const Napi::CallbackInfo& info) {
  auto s = Live(info.Env(), state_);
  StatusPtr st = NewStatus();
  TF.TF_ServerStop(s->server, st.get());
  ThrowIfError(info.Env(), st.get());
  return info.Env().Undefined();
}

Napi::Value Server::Join(const Napi::CallbackInfo& info) {
  auto s = Live(info.Env(), state_);
  {
    std::lock_guard<std::mutex> lock(s->mu);
    s->joiners++;
  }
  return Schedule(info.Env(), std::make_unique<JoinOp>(info.Env(), s));
}

Napi::Value Server::Target(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Live(info.Env(), state_)->target);
}

Napi::Value Server::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool first = false;
  if (state_) {
    // Marked closed now, on the JS thread: start()/stop()/join() called before the pool thread
    // deletes the server must be refused, not race with TF_DeleteServer.
    std::lock_guard<std::mutex> lock(state_->mu);
    first = !state_->closed;
    state_->closed = true;
  }
  if (!first) return ResolvedPromise(env);
  return Schedule(env, std::make_unique<CloseOp>(env, state_));
}

}  // namespace tfm
