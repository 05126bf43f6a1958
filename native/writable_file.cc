#include "writable_file.h"

#include <atomic>

#include "async.h"

namespace tfm {

StatusCopy WritableFileState::Append(const char* data, size_t n) {
  std::lock_guard<std::mutex> lock(mu);
  StatusCopy out;
  if (!handle) {
    out.code = TF_FAILED_PRECONDITION;
    out.message = "The file is closed.";
    return out;
  }
  StatusPtr st = NewStatus();
  TF.TF_AppendWritableFile(handle, data, n, st.get());
  out.From(st.get());
  return out;
}

// What TF's events writer does on flush: hand the buffered bytes to the filesystem, then wait
// until they are persisted.
StatusCopy WritableFileState::FlushAndSync() {
  std::lock_guard<std::mutex> lock(mu);
  StatusCopy out;
  if (!handle) return out;
  StatusPtr st = NewStatus();
  TF.TF_FlushWritableFile(handle, st.get());
  if (TF.TF_GetCode(st.get()) == TF_OK) TF.TF_SyncWritableFile(handle, st.get());
  out.From(st.get());
  return out;
}

StatusCopy WritableFileState::Close() {
  std::lock_guard<std::mutex> lock(mu);
  StatusCopy out;
  if (!handle) return out;
  StatusPtr st = NewStatus();
  TF.TF_CloseWritableFile(handle, st.get());  // frees the handle whatever the status
  handle = nullptr;
  out.From(st.get());
  return out;
}

WritableFileState::~WritableFileState() {
  if (handle) {
    StatusPtr st = NewStatus();
    TF.TF_CloseWritableFile(handle, st.get());
  }
}

namespace {

class FileOp : public AsyncOp {
 public:
  FileOp(Napi::Env env, std::shared_ptr<WritableFileState> s, bool close)
      : AsyncOp(env), state_(std::move(s)), close_(close) {}
  void Execute() override { status_ = close_ ? state_->Close() : state_->FlushAndSync(); }
  Napi::Value Result(Napi::Env env) override {
    if (!status_.ok()) throw MakeError(env, status_);
    return env.Undefined();
  }

 private:
  std::shared_ptr<WritableFileState> state_;
  bool close_;
  StatusCopy status_;
};

// fileStat(path) → { length, isDirectory, mtimeNs } | null
Napi::Value FileStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  std::string path = PathArg(info, 0, "path");
  TF_FileStatistics stats{};
  StatusPtr st = NewStatus();
  TF.TF_FileStat(path.c_str(), &stats, st.get());
  if (TF.TF_GetCode(st.get()) == TF_NOT_FOUND) return env.Null();
  ThrowIfError(env, st.get());
  Napi::Object out = Napi::Object::New(env);
  out.Set("length", Napi::Number::New(env, static_cast<double>(stats.length)));
  out.Set("isDirectory", Napi::Boolean::New(env, stats.is_directory));
  out.Set("mtimeNs", Napi::Number::New(env, static_cast<double>(stats.mtime_nsec)));
  return out;
}

// createDir(path): one level; ALREADY_EXISTS is TF's error like any other.
Napi::Value CreateDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  std::string path = PathArg(info, 0, "path");
  StatusPtr st = NewStatus();
  TF.TF_CreateDir(path.c_str(), st.get());
  ThrowIfError(env, st.get());
  return env.Undefined();
}

// nextFileId() → 0, 1, 2, ...: one counter for the whole process (static in this library, which is
// loaded once however many worker threads use it), so two writers in two threads never pick the
// same events file name in the same second.
Napi::Value NextFileId(const Napi::CallbackInfo& info) {
  static std::atomic<int64_t> counter{0};
  return Napi::Number::New(info.Env(), static_cast<double>(counter.fetch_add(1)));
}

}  // namespace

Napi::Function WritableFile::Init(Napi::Env env) {
  return DefineClass(env, "NativeWritableFile",
                     {
                         InstanceMethod<&WritableFile::Append>("append"),
                         InstanceMethod<&WritableFile::FlushSync>("flushSync"),
                         InstanceMethod<&WritableFile::Flush>("flush"),
                         InstanceMethod<&WritableFile::CloseSync>("closeSync"),
                         InstanceMethod<&WritableFile::Close>("close"),
                     });
}

// new NativeWritableFile(path): creates or truncates the file.
WritableFile::WritableFile(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WritableFile>(info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  std::string path = PathArg(info, 0, "path");
  StatusPtr st = NewStatus();
  TF_WritableFileHandle* handle = nullptr;
  TF.TF_NewWritableFile(path.c_str(), &handle, st.get());
  ThrowIfError(env, st.get());
  state_ = std::make_shared<WritableFileState>();
  state_->handle = handle;
}

// append(bytes: Uint8Array) [sync]: into TF's buffer for the file (no disk wait).
Napi::Value WritableFile::Append(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowType(env, "append(bytes): a Uint8Array is required");
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  ThrowIfError(env,
               state_->Append(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength()));
  return env.Undefined();
}

Napi::Value WritableFile::FlushSync(const Napi::CallbackInfo& info) {
  ThrowIfError(info.Env(), state_->FlushAndSync());
  return info.Env().Undefined();
}

Napi::Value WritableFile::Flush(const Napi::CallbackInfo& info) {
  return Schedule(info.Env(), std::make_unique<FileOp>(info.Env(), state_, false));
}

Napi::Value WritableFile::CloseSync(const Napi::CallbackInfo& info) {
  ThrowIfError(info.Env(), state_->Close());
  return info.Env().Undefined();
}

Napi::Value WritableFile::Close(const Napi::CallbackInfo& info) {
  return Schedule(info.Env(), std::make_unique<FileOp>(info.Env(), state_, true));
}

void InitFileFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("fileStat", Napi::Function::New(env, FileStat, "fileStat"));
  exports.Set("createDir", Napi::Function::New(env, CreateDir, "createDir"));
  exports.Set("nextFileId", Napi::Function::New(env, NextFileId, "nextFileId"));
}

}  // namespace tfm
