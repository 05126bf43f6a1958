#include "session.h"

#include <cstring>
#include <vector>

#include "async.h"
#include "tensor.h"

namespace tfm {

// Python's message for a run or extend on a closed session.
constexpr char kClosedSession[] = "Attempted to use a closed Session.";

bool SessionState::BeginRun() {
  std::lock_guard<std::mutex> lock(mu);
  if (closed) return false;
  inflight++;
  return true;
}

void SessionState::EndRun() {
  std::lock_guard<std::mutex> lock(mu);
  if (--inflight == 0) idle.notify_all();
}

StatusCopy SessionState::Close() {
  StatusCopy result;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (closed) return result;
    closed = true;
  }
  StatusPtr status = NewStatus();
  // Cancels pending runs (a dequeue waiting on an empty queue returns CANCELLED).
  TF.TF_CloseSession(session, status.get());
  result.From(status.get());
  std::unique_lock<std::mutex> lock(mu);
  idle.wait(lock, [this] { return inflight == 0; });
  StatusPtr del = NewStatus();
  TF.TF_DeleteSession(session, del.get());
  session = nullptr;
  return result;
}

SessionState::~SessionState() {
  if (session) Close();
}

namespace {

// Every live session of an environment, so its teardown can cancel runs still in flight.
struct SessionRegistry {
  std::mutex mu;
  std::vector<std::weak_ptr<SessionState>> sessions;
};
SessionRegistry& Registry(Napi::Env env) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  AddonData* data = Data(env);
  if (!data->sessions) data->sessions = std::make_shared<SessionRegistry>();
  return *std::static_pointer_cast<SessionRegistry>(data->sessions);
}

struct RunPlan {
  std::shared_ptr<GraphState> graph;
  std::vector<TF_Output> inputs, outputs;
  std::vector<TF_Operation*> targets;
  // Per output, the graph's static shape when it is fully known (else empty with known=false): an
  // output of exactly that shape is returned without a shape array (JS has the same static shape).
  std::vector<std::vector<int64_t>> staticDims;
  std::vector<bool> staticKnown;
};
using PlanRef = std::shared_ptr<RunPlan>;
using PlanSlot = TaggedSlot<0x504c414e /* PLAN */, PlanRef>;

const PlanRef& UnwrapPlan(Napi::Env env, const Napi::Value& v) {
  PlanSlot* slot = PlanSlot::From(v);
  if (!slot) ThrowType(env, "plan must come from session.prepare()");
  return slot->value;
}

bool SameDims(TF_Tensor* t, const std::vector<int64_t>& dims) {
  if (TF.TF_NumDims(t) != static_cast<int>(dims.size())) return false;
  for (size_t i = 0; i < dims.size(); i++)
    if (TF.TF_Dim(t, static_cast<int>(i)) != dims[i]) return false;
  return true;
}

// One TF_Status per thread, reused: a run loop should not allocate one per call.
TF_Status* ThreadStatus() {
  thread_local StatusPtr status = NewStatus();
  return status.get();
}

// The inputs of one run, converted on the JS thread; outputs filled by TF_SessionRun.
// Feeds arrive flat as arguments: dtype0, shape0, data0, dtype1, ... (no per-feed objects to
// read); a feed made once with feedHandle() comes as one argument, the handle, used as it is.
//
// A synchronous run borrows the session, the plan and the feed handles: nothing can release them
// while the JS thread is inside the call, and each reference count touched is an atomic operation
// per run. An async run (keepAlive) holds references until it is done.
struct RunCall {
  SessionState* session;
  RunPlan* plan;
  std::shared_ptr<SessionState> sessionRef;  // async only
  PlanRef planRef;  // async only: keeps the graph, and so the plan's operations, alive
  std::vector<TF_Tensor*> inputs;  // what TF_SessionRun reads, one per plan input
  std::vector<TensorPtr> owned;    // feeds converted for this run
  std::vector<FeedRef> handles;    // async only: feeds made once, held while the run uses them
  std::vector<TF_Tensor*> results;
  std::string runOptions;
  bool wantMetadata = false;
  std::string metadata;
  StatusCopy status;
  bool refused = false;

  // info: (plan, ...feeds, runOptions?, wantMetadata?). Feeds are positional arguments, not an
  // array: each array read is an N-API call, and a run loop pays every one of them.
  RunCall(Napi::Env env, const std::shared_ptr<SessionState>& s, const Napi::CallbackInfo& info,
          bool keepAlive)
      : session(s.get()) {
    const PlanRef& p = UnwrapPlan(env, info[0]);
    plan = p.get();
    if (keepAlive) {
      sessionRef = s;
      planRef = p;
    }
    if (plan->graph != session->graph) ThrowType(env, "plan belongs to another graph");
    const size_t argc = info.Length();
    size_t at = 1;
    inputs.reserve(plan->inputs.size());
    for (size_t i = 0; i < plan->inputs.size(); i++) {
      if (at >= argc)
        ThrowType(env, "feeds do not match the plan: " + std::to_string(plan->inputs.size()) +
                           " expected");
      Napi::Value first = info[at];
      const FeedRef* h = FeedHandleOf(first);
      if (h || first.IsExternal()) {
        if (!h || !*h || !(*h)->tensor)
          ThrowType(env, "feed " + std::to_string(i) +
                             ": not a live feed handle (released, or another kind of value)");
        inputs.push_back((*h)->tensor);
        if (keepAlive) handles.push_back(*h);
        at += 1;
        continue;
      }
      if (at + 2 >= argc)
        ThrowType(env, "feeds do not match the plan: feed " + std::to_string(i) +
                           " needs (dtype, shape, data)");
      owned.push_back(TensorFromParts(env, first, info[at + 1], info[at + 2],
                                      [i] { return "feed " + std::to_string(i); }));
      inputs.push_back(owned.back().get());
      at += 3;
    }
    if (at < argc && info[at].IsTypedArray()) {
      Napi::Uint8Array b = info[at].As<Napi::Uint8Array>();
      runOptions.assign(reinterpret_cast<const char*>(b.Data()), b.ByteLength());
    }
    if (at + 1 < argc) wantMetadata = info[at + 1].ToBoolean();
    results.assign(plan->outputs.size(), nullptr);
  }

  ~RunCall() {
    for (TF_Tensor* t : results)
      if (t) TF.TF_DeleteTensor(t);
  }

  // Any thread; TF only.
  void Execute() {
    if (!session->BeginRun()) {
      refused = true;
      return;
    }
    BufferPtr opts(runOptions.empty()
                       ? nullptr
                       : TF.TF_NewBufferFromString(runOptions.data(), runOptions.size()));
    BufferPtr meta(wantMetadata ? TF.TF_NewBuffer() : nullptr);
    TF_Status* st = ThreadStatus();
    TF.TF_SessionRun(session->session, opts.get(), plan->inputs.data(), inputs.data(),
                     static_cast<int>(plan->inputs.size()), plan->outputs.data(), results.data(),
                     static_cast<int>(plan->outputs.size()), plan->targets.data(),
                     static_cast<int>(plan->targets.size()), meta.get(), st);
    status.From(st);
    if (meta && status.ok()) metadata.assign(static_cast<const char*>(meta->data), meta->length);
    session->EndRun();
    // Release feed memory as soon as possible.
    inputs.clear();
    owned.clear();
    handles.clear();
  }

  // JS thread. Returns [shape0, data0, shape1, data1, ..., metadata?]: the dtype is the graph's
  // (JS knows it), and shapeN is left undefined when the output has the plan's static shape.
  Napi::Value Result(Napi::Env env, bool zeroCopy) {
    ThrowIfClosed(env, refused, kClosedSession);
    if (!status.ok()) throw MakeError(env, status);
    Napi::Array out = Napi::Array::New(env, 2 * results.size() + (wantMetadata ? 1 : 0));
    for (size_t i = 0; i < results.size(); i++) {
      TensorPtr t(results[i]);
      results[i] = nullptr;
      auto at = static_cast<uint32_t>(2 * i);
      if (!plan->staticKnown[i] || !SameDims(t.get(), plan->staticDims[i]))
        out.Set(at, ShapeToJs(env, t.get()));
      out.Set(at + 1, DataToJs(env, t, zeroCopy));
    }
    if (wantMetadata) {
      Napi::Uint8Array m = Napi::Uint8Array::New(env, metadata.size());
      if (!metadata.empty()) std::memcpy(m.Data(), metadata.data(), metadata.size());
      out.Set(static_cast<uint32_t>(2 * results.size()), m);
    }
    return out;
  }
};

class RunOp : public AsyncOp {
 public:
  RunOp(Napi::Env env, std::unique_ptr<RunCall> call) : AsyncOp(env), call_(std::move(call)) {}
  void Execute() override { call_->Execute(); }
  Napi::Value Result(Napi::Env env) override { return call_->Result(env, true); }

 private:
  std::unique_ptr<RunCall> call_;
};

class CloseOp : public AsyncOp {
 public:
  CloseOp(Napi::Env env, std::shared_ptr<SessionState> s) : AsyncOp(env), state_(std::move(s)) {}
  void Execute() override { status_ = state_->Close(); }
  Napi::Value Result(Napi::Env env) override {
    // Python swallows close errors of a session whose runs were cancelled; report real ones.
    if (!status_.ok() && status_.code != TF_CANCELLED) throw MakeError(env, status_);
    return env.Undefined();
  }

 private:
  std::shared_ptr<SessionState> state_;
  StatusCopy status_;
};

}  // namespace

Napi::Function Session::Init(Napi::Env env) {
  return DefineClass(env, "NativeSession",
                     {
                         InstanceMethod<&Session::Prepare>("prepare"),
                         InstanceMethod<&Session::RunSync>("runSync"),
                         InstanceMethod<&Session::Run>("run"),
                         InstanceMethod<&Session::ListDevices>("listDevices"),
                         InstanceMethod<&Session::Close>("close"),
                         InstanceMethod<&Session::IsClosed>("isClosed"),
                         InstanceMethod<&Session::InFlight>("inFlight"),
                     });
}

// new NativeSession(graph, target: string, config: Uint8Array | null)
Session::Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  Graph* graph = Graph::FromValue(env, info[0], "graph");
  SessionOptionsPtr opts(TF.TF_NewSessionOptions());
  if (info[1].IsString()) {
    std::string target = info[1].As<Napi::String>().Utf8Value();
    TF.TF_SetTarget(opts.get(), target.c_str());
  }
  StatusPtr status = NewStatus();
  if (info[2].IsTypedArray()) {
    Napi::Uint8Array cfg = info[2].As<Napi::Uint8Array>();
    TF.TF_SetConfig(opts.get(), cfg.Data(), cfg.ByteLength(), status.get());
    ThrowIfError(env, status.get());
  }
  auto state = std::make_shared<SessionState>();
  state->graph = graph->state();
  state->session = TF.TF_NewSession(graph->state()->graph, opts.get(), status.get());
  if (TF.TF_GetCode(status.get()) != TF_OK) {
    state->session = nullptr;
    throw MakeError(env, status.get());
  }
  state_ = state;
  SessionRegistry& reg = Registry(env);
  std::lock_guard<std::mutex> lock(reg.mu);
  std::erase_if(reg.sessions, [](const std::weak_ptr<SessionState>& w) { return w.expired(); });
  reg.sessions.push_back(state_);
}

Session::~Session() {
  // Garbage-collected without close(): close on a pool thread, never block the JS thread.
  if (state_) {
    auto s = std::move(state_);
    RunOnPool([s]() mutable { s->Close(); });
  }
}

// prepare(feeds: string[], fetches: string[], targets: string[]) → plan (opaque)
Napi::Value Session::Prepare(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfClosed(env, !state_, kClosedSession);
  auto plan = std::make_unique<RunPlan>();
  plan->graph = state_->graph;
  auto resolveOutput = [&](const std::string& name) {
    return OutputByName(env, plan->graph->graph, name);
  };
  auto strings = [&](size_t i, const char* what) {
    if (!info[i].IsArray()) ThrowType(env, std::string(what) + " must be an array of names");
    Napi::Array a = info[i].As<Napi::Array>();
    std::vector<std::string> out;
    out.reserve(a.Length());
    for (uint32_t j = 0; j < a.Length(); j++) {
      Napi::Value v = a.Get(j);
      if (!v.IsString())
        ThrowType(env, std::string(what) + "[" + std::to_string(j) + "] must be a string");
      out.push_back(v.As<Napi::String>().Utf8Value());
    }
    return out;
  };
  for (const auto& n : strings(0, "feeds")) plan->inputs.push_back(resolveOutput(n));
  for (const auto& n : strings(1, "fetches")) {
    TF_Output out = resolveOutput(n);
    plan->outputs.push_back(out);
    StatusPtr st = NewStatus();
    int nd = TF.TF_GraphGetTensorNumDims(plan->graph->graph, out, st.get());
    std::vector<int64_t> dims(nd > 0 ? nd : 0);
    bool known = TF.TF_GetCode(st.get()) == TF_OK && nd >= 0;
    if (known && nd > 0) {
      TF.TF_GraphGetTensorShape(plan->graph->graph, out, dims.data(), nd, st.get());
      known = TF.TF_GetCode(st.get()) == TF_OK;
      for (int64_t d : dims) known = known && d >= 0;
    }
    plan->staticKnown.push_back(known);
    plan->staticDims.push_back(known ? std::move(dims) : std::vector<int64_t>());
  }
  for (const auto& n : strings(2, "targets")) {
    TF_Operation* o = TF.TF_GraphOperationByName(plan->graph->graph, n.c_str());
    if (!o)
      throw MakeError(env, TF_NOT_FOUND, "The operation '" + n + "' does not exist in the graph.");
    plan->targets.push_back(o);
  }
  return PlanSlot::Wrap(env, PlanRef(std::move(plan)));
}

// runSync(plan, ...feeds, runOptions?: Uint8Array | null, wantMetadata?: boolean) → [shape?, data,
// ..., metadata?]
Napi::Value Session::RunSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfClosed(env, !state_, kClosedSession);
  RunCall call(env, state_, info, false);
  call.Execute();
  return call.Result(env, false);
}

// run(plan, ...feeds, runOptions?, wantMetadata?) → Promise<[shape?, data, ..., metadata?]>
Napi::Value Session::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfClosed(env, !state_, kClosedSession);
  auto call = std::make_unique<RunCall>(env, state_, info, true);
  return Schedule(env, std::make_unique<RunOp>(env, std::move(call)));
}

Napi::Value Session::ListDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfClosed(env, !state_ || !state_->BeginRun(), kClosedSession);
  StatusPtr status = NewStatus();
  DeviceListPtr list(TF.TF_SessionListDevices(state_->session, status.get()));
  state_->EndRun();
  ThrowIfError(env, status.get());
  int n = TF.TF_DeviceListCount(list.get());
  Napi::Array out = Napi::Array::New(env, n);
  for (int i = 0; i < n; i++) {
    Napi::Object d = Napi::Object::New(env);
    StatusPtr s = NewStatus();
    d.Set("name", TF.TF_DeviceListName(list.get(), i, s.get()));
    d.Set("type", TF.TF_DeviceListType(list.get(), i, s.get()));
    d.Set("memoryBytes", Napi::Number::New(env, static_cast<double>(TF.TF_DeviceListMemoryBytes(
                                                    list.get(), i, s.get()))));
    out.Set(i, d);
  }
  return out;
}

// close() → Promise<void>; idempotent.
Napi::Value Session::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!state_) return ResolvedPromise(env);
  auto s = std::move(state_);
  return Schedule(env, std::make_unique<CloseOp>(env, std::move(s)));
}

Napi::Value Session::IsClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !state_);
}

Napi::Value Session::InFlight(const Napi::CallbackInfo& info) {
  if (!state_) return Napi::Number::New(info.Env(), 0);
  std::lock_guard<std::mutex> lock(state_->mu);
  return Napi::Number::New(info.Env(), state_->inflight);
}

void CloseAllSessions(Napi::Env env) {
  AddonData* data = Data(env);
  if (!data || !data->sessions) return;
  auto reg = std::static_pointer_cast<SessionRegistry>(data->sessions);
  std::vector<std::shared_ptr<SessionState>> live;
  {
    std::lock_guard<std::mutex> lock(reg->mu);
    for (auto& w : reg->sessions)
      if (auto s = w.lock()) live.push_back(s);
    reg->sessions.clear();
  }
  for (auto& s : live) s->Close();
}

}  // namespace tfm
