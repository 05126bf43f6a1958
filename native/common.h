// Small RAII holders for TF's C objects, the per-environment state, and the one place where a
// TF_Status becomes a JS error.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tf_api.h"

namespace tfm {

struct StatusDeleter {
  void operator()(TF_Status* s) const { TF.TF_DeleteStatus(s); }
};
struct BufferDeleter {
  void operator()(TF_Buffer* b) const { TF.TF_DeleteBuffer(b); }
};
struct TensorDeleter {
  void operator()(TF_Tensor* t) const {
    if (t) TF.TF_DeleteTensor(t);
  }
};
struct SessionOptionsDeleter {
  void operator()(TF_SessionOptions* o) const { TF.TF_DeleteSessionOptions(o); }
};
struct ImportOptionsDeleter {
  void operator()(TF_ImportGraphDefOptions* o) const { TF.TF_DeleteImportGraphDefOptions(o); }
};
struct ImportResultsDeleter {
  void operator()(TF_ImportGraphDefResults* r) const { TF.TF_DeleteImportGraphDefResults(r); }
};
struct DeviceListDeleter {
  void operator()(TF_DeviceList* d) const { TF.TF_DeleteDeviceList(d); }
};

using StatusPtr = std::unique_ptr<TF_Status, StatusDeleter>;
using BufferPtr = std::unique_ptr<TF_Buffer, BufferDeleter>;
using TensorPtr = std::unique_ptr<TF_Tensor, TensorDeleter>;
using SessionOptionsPtr = std::unique_ptr<TF_SessionOptions, SessionOptionsDeleter>;
using ImportOptionsPtr = std::unique_ptr<TF_ImportGraphDefOptions, ImportOptionsDeleter>;
using ImportResultsPtr = std::unique_ptr<TF_ImportGraphDefResults, ImportResultsDeleter>;
using DeviceListPtr = std::unique_ptr<TF_DeviceList, DeviceListDeleter>;

inline StatusPtr NewStatus() { return StatusPtr(TF.TF_NewStatus()); }

// A status captured on a worker thread, turned into a JS error later on the JS thread.
struct StatusCopy {
  int code = 0;
  std::string message;
  bool ok() const { return code == 0; }
  void From(TF_Status* s) {
    code = TF.TF_GetCode(s);
    message = code ? TF.TF_Message(s) : "";
  }
};

// Per-environment state (the addon loads in worker threads: no globals with JS values).
struct AddonData {
  Napi::FunctionReference errorFactory;      // (code, message) => TFError, set by lib/native.ts
  Napi::FunctionReference graphCtor;         // to check that an argument is a NativeGraph
  std::shared_ptr<struct AsyncState> async;  // completion channel, see async.cc
  std::shared_ptr<void> sessions;            // live sessions, closed at teardown (session.cc)
};

AddonData* Data(Napi::Env env);

// The one status → error conversion (docs/design.md decision 5).
Napi::Error MakeError(Napi::Env env, int code, const std::string& message);
inline Napi::Error MakeError(Napi::Env env, const StatusCopy& s) {
  return MakeError(env, s.code, s.message);
}
inline Napi::Error MakeError(Napi::Env env, TF_Status* s) {
  return MakeError(env, TF.TF_GetCode(s), TF.TF_Message(s));
}

// Throws a TF error (code) or a plain TypeError from C++ when a caller broke a contract that
// lib/ normally enforces; keeps the process alive whatever JS passes.
[[noreturn]] void ThrowType(Napi::Env env, const std::string& message);
void RequireLoaded(Napi::Env env);

// Throws the TF error of a failed status (nothing when it is OK).
void ThrowIfError(Napi::Env env, const StatusCopy& s);
void ThrowIfError(Napi::Env env, TF_Status* s);

// The first check of every method of a closable object (session, server, checkpoint reader):
// a FailedPreconditionError with the object's own message, the one Python gives.
inline void ThrowIfClosed(Napi::Env env, bool closed, const char* message) {
  if (closed) throw MakeError(env, TF_FAILED_PRECONDITION, message);
}

// A Promise already resolved with undefined: what close() returns when there is nothing left to
// close.
inline Napi::Value ResolvedPromise(Napi::Env env) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Resolve(env.Undefined());
  return d.Promise();
}

// Argument i as a path for TF: a string without NUL (TF takes a C string, and a NUL would cut the
// path; lib/ refuses such paths first). `what` names it in the TypeError.
std::string PathArg(const Napi::CallbackInfo& info, size_t i, const char* what);

// A value carried by a JS External, with a tag saying what it is: the addon hands out Externals of
// several kinds (run plans, feed handles), and one passed where another is expected must be a
// TypeError, not a misread pointer.
template <uint32_t Tag, typename T>
struct TaggedSlot {
  uint32_t tag = Tag;
  T value;
  explicit TaggedSlot(T v) : value(std::move(v)) {}

  static Napi::External<TaggedSlot> Wrap(Napi::Env env, T v) {
    return Napi::External<TaggedSlot>::New(env, new TaggedSlot(std::move(v)),
                                           [](Napi::Env, TaggedSlot* s) { delete s; });
  }
  // The slot behind `v`, or null when `v` is not an External of this kind. One N-API call:
  // napi_get_value_external fails on anything but an External.
  static TaggedSlot* From(const Napi::Value& v) {
    void* data = nullptr;
    if (napi_get_value_external(v.Env(), v, &data) != napi_ok) return nullptr;
    auto* s = static_cast<TaggedSlot*>(data);
    return s && s->tag == Tag ? s : nullptr;
  }
};

// TF's TensorShape holds at most this many dimensions (TensorShape::MaxDimensions()).
constexpr uint32_t kMaxRank = 254;

// The one check of dimensions on their way to TF (tensors built from JS, feeds, feed handles,
// shape and list(shape) attrs). TF builds a TensorShape from them and aborts the process in a
// CHECK when the rank is above 254, a dimension is below its minimum, or the running product of
// the known dimensions overflows int64 (TF multiplies in order: [2^62, 2^62, 0] is refused).
// `partial` allows -1 (unknown dimension), as shape attrs do. Throws an InvalidArgumentError
// naming what(); returns the element count (-1 when a dimension is unknown).
void CheckRank(Napi::Env env, size_t rank, const std::function<std::string()>& what);
int64_t CheckDims(Napi::Env env, const int64_t* dims, size_t rank, bool partial,
                  const std::function<std::string()>& what);

// A shape from JS (an array of numbers), checked by CheckDims before anything proportional to
// the array's length is allocated.
std::vector<int64_t> ToDims(Napi::Env env, const Napi::Value& v, const std::string& what,
                            bool partial);
Napi::Array FromDims(Napi::Env env, const int64_t* dims, int n);

}  // namespace tfm
