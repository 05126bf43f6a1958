// Entry point: per-environment state, the load() call that opens libtensorflow, and the classes.
// Context-aware (NODE_API_MODULE): loads in worker threads, one AddonData per environment.
#include <dlfcn.h>
#include <napi.h>

#include <cstring>

#include "async.h"
#include "checkpoint_reader.h"
#include "common.h"
#include "graph.h"
#include "server.h"
#include "session.h"
#include "tensor.h"
#include "tf_files.h"
#include "writable_file.h"

namespace tfm {
namespace {

// load(frameworkPath: string, mainPath: string) → "" or the reason it failed.
Napi::Value LoadLibrary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsString())
    ThrowType(env, "load(frameworkPath, mainPath): strings expected");
  std::string why =
      Load(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value());
  return Napi::String::New(env, why);
}

// preload(path: string) → "" or dlerror's text (native/tf_api.h Preload).
Napi::Value PreloadLibrary(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) ThrowType(info.Env(), "preload(path): a string is required");
  return Napi::String::New(info.Env(), Preload(info[0].As<Napi::String>().Utf8Value()));
}

// registeredKernelsForOp(op) → serialized KernelList: which devices have a kernel for the op
// (how lib/gpu/build-info.ts tells a GPU build, docs/gpu.md).
Napi::Value RegisteredKernelsForOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  if (!info[0].IsString()) ThrowType(env, "registeredKernelsForOp(op): a string is required");
  StatusPtr status = NewStatus();
  BufferPtr b(TF.TF_GetRegisteredKernelsForOp(info[0].As<Napi::String>().Utf8Value().c_str(),
                                              status.get()));
  ThrowIfError(env, status.get());
  auto out = Napi::Uint8Array::New(env, b ? b->length : 0);
  if (b && b->length) std::memcpy(out.Data(), b->data, b->length);
  return out;
}

Napi::Value Loaded(const Napi::CallbackInfo& info) {
  if (!IsLoaded()) return info.Env().Null();
  return Napi::String::New(info.Env(), LoadedPath());
}

// setErrorFactory((code, message) => Error): lib/core/errors.ts's errorForCode.
Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) ThrowType(info.Env(), "setErrorFactory: a function is required");
  Data(info.Env())->errorFactory = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// Our pool threads and libtensorflow's threads run code of this library for the life of the
// process. Node unloads an addon when the last environment using it goes (e.g. the only worker
// thread that loaded it exits): pin it so it is never unmapped under those threads.
void PinThisLibrary() {
  static bool pinned = false;
  if (pinned) return;
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&PinThisLibrary), &info) && info.dli_fname) {
    if (dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE | RTLD_NOLOAD)) pinned = true;
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  PinThisLibrary();
  auto* data = new AddonData();
  env.SetInstanceData(data);
  InitAsync(env);
  env.AddCleanupHook([env] { CloseAllSessions(env); });
  exports.Set("load", Napi::Function::New(env, LoadLibrary, "load"));
  exports.Set("preload", Napi::Function::New(env, PreloadLibrary, "preload"));
  exports.Set("registeredKernelsForOp",
              Napi::Function::New(env, RegisteredKernelsForOp, "registeredKernelsForOp"));
  exports.Set("loadedPath", Napi::Function::New(env, Loaded, "loadedPath"));
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
  InitTensor(env, exports);
  InitGraphFunctions(env, exports);
  Napi::Function graph = Graph::Init(env);
  data->graphCtor = Napi::Persistent(graph);
  exports.Set("NativeGraph", graph);
  Napi::Function session = Session::Init(env);
  exports.Set("NativeSession", session);
  Napi::Function server = Server::Init(env);
  exports.Set("NativeServer", server);
  Napi::Function reader = CheckpointReader::Init(env);
  exports.Set("NativeCheckpointReader", reader);
  exports.Set("NativeWritableFile", WritableFile::Init(env));
  InitFileFunctions(env, exports);
  InitTfFileFunctions(env, exports);
  return exports;
}

}  // namespace
}  // namespace tfm

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return tfm::Init(env, exports);
}

NODE_API_MODULE(tf_monitored, InitAddon)
