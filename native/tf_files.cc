#include "tf_files.h"

#include <cstdint>
#include <string>
#include <vector>

#include "async.h"
#include "common.h"

// Reading and renaming: libtensorflow's C API has no function for either (env.h writes, stats,
// lists and deletes only). TF's ReadFile op would need a session, and the package must not open
// one of its own before the user's (the first session sizes TF's process-wide thread pools, see
// docs/process-wide-tf-state.md); a graph loaded from `ram://` is read before any session exists.
// So these call TF's own C++ functions (tsl::ReadFileToString, tsl::Env::RenameFile, ...), which
// the framework library exports, by their mangled names. They are looked up when first needed,
// and a library without them (another TF version) makes only these calls fail, with an error
// naming the symbol; local paths never come here.
//
// ABI: these functions return absl::Status, a class holding one uintptr_t with a non-trivial
// destructor, so the Itanium C++ ABI returns it through a hidden pointer. AbslStatus below has
// the same size and the same "non-trivial" property, hence the same calling convention; it is
// turned into a TF_Status with TF's own tsl::Set_TF_Status_from_Status and destroyed with
// absl::Status's own destructor. The absl inline namespace (lts_20250814) is the pinned TF's.
// Strings and vectors cross as std::string / std::vector: TF and the addon share libstdc++
// (the framework library links it dynamically, with the C++11 string ABI both use).

namespace tfm {
namespace {

struct AbslStatus {
  uintptr_t rep = 0;
  AbslStatus() = default;
  AbslStatus(const AbslStatus&) = delete;
  AbslStatus& operator=(const AbslStatus&) = delete;
  ~AbslStatus();
};

using EnvDefaultFn = void* (*)();
using ReadFileFn = AbslStatus (*)(void* env, const std::string& path, std::string* out);
// Member functions: `this` is the first parameter after the hidden return pointer.
using RenameFn = AbslStatus (*)(void* env, const std::string& from, const std::string& to);
using HasAtomicMoveFn = AbslStatus (*)(void* env, const std::string& path, bool* out);
using SchemesFn = AbslStatus (*)(void* env, std::vector<std::string>* out);
using SetStatusFn = void (*)(TF_Status* out, const AbslStatus& s);
using StatusDtorFn = void (*)(AbslStatus* s);

struct CxxApi {
  EnvDefaultFn envDefault;
  ReadFileFn readFile;
  RenameFn rename;
  HasAtomicMoveFn hasAtomicMove;
  SchemesFn schemes;
  SetStatusFn setStatus;
  StatusDtorFn statusDtor;
  std::string missing;  // the first symbol not found, "" when all are there
};

template <typename F>
void Resolve(F& fn, const char* name, std::string& missing) {
  fn = reinterpret_cast<F>(LoadedSymbol(name));
  if (!fn && missing.empty()) missing = name;
}

const CxxApi& Cxx() {
  static const CxxApi api = [] {
    CxxApi a{};
    Resolve(a.envDefault, "_ZN3tsl3Env7DefaultEv", a.missing);
    Resolve(a.readFile,
            "_ZN3tsl16ReadFileToStringEPNS_3EnvERKNSt7__cxx1112basic_stringIcSt11char_"
            "traitsIcESaIcEEEPS7_",
            a.missing);
    Resolve(a.rename,
            "_ZN3tsl3Env10RenameFileERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEES8_",
            a.missing);
    Resolve(a.hasAtomicMove,
            "_ZN3tsl3Env13HasAtomicMoveERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEPb",
            a.missing);
    Resolve(a.schemes,
            "_ZN3tsl3Env30GetRegisteredFileSystemSchemesEPSt6vectorINSt7__cxx1112basic_"
            "stringIcSt11char_traitsIcESaIcEEESaIS7_EE",
            a.missing);
    Resolve(a.setStatus,
            "_ZN3tsl25Set_TF_Status_from_StatusEP10TSL_StatusRKN4absl12lts_202508146StatusE",
            a.missing);
    Resolve(a.statusDtor, "_ZN4absl12lts_202508146StatusD2Ev", a.missing);
    return a;
  }();
  return api;
}

AbslStatus::~AbslStatus() { Cxx().statusDtor(this); }

// The C++ API, or an UNIMPLEMENTED status naming what this libtensorflow lacks.
StatusCopy CheckCxx() {
  StatusCopy out;
  if (!Cxx().missing.empty()) {
    out.code = TF_UNIMPLEMENTED;
    out.message = "This libtensorflow does not export " + Cxx().missing +
                  ", which paths with a scheme (scheme://) need for reading and renaming files.";
  }
  return out;
}

StatusCopy ToCopy(const AbslStatus& s) {
  StatusPtr st = NewStatus();
  Cxx().setStatus(st.get(), s);
  StatusCopy out;
  out.From(st.get());
  return out;
}

StatusCopy ReadFile(const std::string& path, std::string* out) {
  StatusCopy c = CheckCxx();
  if (!c.ok()) return c;
  return ToCopy(Cxx().readFile(Cxx().envDefault(), path, out));
}

StatusCopy Rename(const std::string& from, const std::string& to) {
  StatusCopy c = CheckCxx();
  if (!c.ok()) return c;
  return ToCopy(Cxx().rename(Cxx().envDefault(), from, to));
}

Napi::Value ToBuffer(Napi::Env env, std::string&& bytes) {
  auto* owned = new std::string(std::move(bytes));
  return Napi::Buffer<char>::New(
      env, owned->data(), owned->size(), [](Napi::Env, char*, std::string* s) { delete s; }, owned);
}

class ReadOp : public AsyncOp {
 public:
  ReadOp(Napi::Env env, std::string path) : AsyncOp(env), path_(std::move(path)) {}
  void Execute() override { status_ = ReadFile(path_, &bytes_); }
  Napi::Value Result(Napi::Env env) override {
    ThrowIfError(env, status_);
    return ToBuffer(env, std::move(bytes_));
  }

 private:
  std::string path_, bytes_;
  StatusCopy status_;
};

class RenameOp : public AsyncOp {
 public:
  RenameOp(Napi::Env env, std::string from, std::string to)
      : AsyncOp(env), from_(std::move(from)), to_(std::move(to)) {}
  void Execute() override { status_ = Rename(from_, to_); }
  Napi::Value Result(Napi::Env env) override {
    ThrowIfError(env, status_);
    return env.Undefined();
  }

 private:
  std::string from_, to_;
  StatusCopy status_;
};

Napi::Value ReadFileSync(const Napi::CallbackInfo& info) {
  RequireLoaded(info.Env());
  std::string bytes;
  ThrowIfError(info.Env(), ReadFile(PathArg(info, 0, "path"), &bytes));
  return ToBuffer(info.Env(), std::move(bytes));
}

Napi::Value ReadFileAsync(const Napi::CallbackInfo& info) {
  RequireLoaded(info.Env());
  return Schedule(info.Env(), std::make_unique<ReadOp>(info.Env(), PathArg(info, 0, "path")));
}

Napi::Value RenameSync(const Napi::CallbackInfo& info) {
  RequireLoaded(info.Env());
  ThrowIfError(info.Env(), Rename(PathArg(info, 0, "from"), PathArg(info, 1, "to")));
  return info.Env().Undefined();
}

Napi::Value RenameAsync(const Napi::CallbackInfo& info) {
  RequireLoaded(info.Env());
  return Schedule(info.Env(), std::make_unique<RenameOp>(info.Env(), PathArg(info, 0, "from"),
                                                         PathArg(info, 1, "to")));
}

Napi::Value HasAtomicMove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  std::string path = PathArg(info, 0, "path");
  ThrowIfError(env, CheckCxx());
  bool atomic = true;
  ThrowIfError(env, ToCopy(Cxx().hasAtomicMove(Cxx().envDefault(), path, &atomic)));
  return Napi::Boolean::New(env, atomic);
}

Napi::Value FileSystemSchemes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  ThrowIfError(env, CheckCxx());
  std::vector<std::string> schemes;
  ThrowIfError(env, ToCopy(Cxx().schemes(Cxx().envDefault(), &schemes)));
  Napi::Array out = Napi::Array::New(env, schemes.size());
  for (size_t i = 0; i < schemes.size(); i++) out.Set(i, schemes[i]);
  return out;
}

Napi::Value DeleteFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  std::string path = PathArg(info, 0, "path");
  StatusPtr st = NewStatus();
  TF.TF_DeleteFile(path.c_str(), st.get());
  ThrowIfError(env, st.get());
  return env.Undefined();
}

Napi::Value DeleteDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  std::string path = PathArg(info, 0, "path");
  StatusPtr st = NewStatus();
  TF.TF_DeleteDir(path.c_str(), st.get());
  ThrowIfError(env, st.get());
  return env.Undefined();
}

Napi::Value DeleteRecursively(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  std::string path = PathArg(info, 0, "path");
  StatusPtr st = NewStatus();
  int64_t files = 0, dirs = 0;
  TF.TF_DeleteRecursively(path.c_str(), &files, &dirs, st.get());
  ThrowIfError(env, st.get());
  return env.Undefined();
}

Napi::Value GetChildren(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  std::string path = PathArg(info, 0, "path");
  StatusPtr st = NewStatus();
  TF_StringStream* list = TF.TF_GetChildren(path.c_str(), st.get());
  if (TF.TF_GetCode(st.get()) != TF_OK) {
    if (list) TF.TF_StringStreamDone(list);
    throw MakeError(env, st.get());
  }
  Napi::Array out = Napi::Array::New(env);
  const char* name = nullptr;
  uint32_t i = 0;
  while (list && TF.TF_StringStreamNext(list, &name)) out.Set(i++, name);
  if (list) TF.TF_StringStreamDone(list);
  return out;
}

}  // namespace

void InitTfFileFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("readFile", Napi::Function::New(env, ReadFileSync, "readFile"));
  exports.Set("readFileAsync", Napi::Function::New(env, ReadFileAsync, "readFileAsync"));
  exports.Set("renameFile", Napi::Function::New(env, RenameSync, "renameFile"));
  exports.Set("renameFileAsync", Napi::Function::New(env, RenameAsync, "renameFileAsync"));
  exports.Set("hasAtomicMove", Napi::Function::New(env, HasAtomicMove, "hasAtomicMove"));
  exports.Set("fileSystemSchemes",
              Napi::Function::New(env, FileSystemSchemes, "fileSystemSchemes"));
  exports.Set("deleteFile", Napi::Function::New(env, DeleteFile, "deleteFile"));
  exports.Set("deleteDir", Napi::Function::New(env, DeleteDir, "deleteDir"));
  exports.Set("deleteRecursively",
              Napi::Function::New(env, DeleteRecursively, "deleteRecursively"));
  exports.Set("getChildren", Napi::Function::New(env, GetChildren, "getChildren"));
}

}  // namespace tfm
