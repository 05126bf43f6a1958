#include "checkpoint_reader.h"

#include <vector>

#include "tensor.h"

namespace tfm {

constexpr char kClosedReader[] = "The checkpoint reader is closed.";

Napi::Function CheckpointReader::Init(Napi::Env env) {
  return DefineClass(env, "NativeCheckpointReader",
                     {
                         InstanceMethod<&CheckpointReader::Variables>("variables"),
                         InstanceMethod<&CheckpointReader::Tensor>("tensor"),
                         InstanceMethod<&CheckpointReader::Close>("close"),
                     });
}

// new NativeCheckpointReader(prefix: string)
CheckpointReader::CheckpointReader(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<CheckpointReader>(info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  if (!info[0].IsString()) ThrowType(env, "checkpoint path must be a string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  StatusPtr st = NewStatus();
  reader_ = TF.TF_NewCheckpointReader(path.c_str(), st.get());
  if (TF.TF_GetCode(st.get()) != TF_OK) {
    reader_ = nullptr;
    throw MakeError(env, st.get());
  }
}

CheckpointReader::~CheckpointReader() {
  if (reader_) TF.TF_DeleteCheckpointReader(reader_);
}

Napi::Value CheckpointReader::Close(const Napi::CallbackInfo& info) {
  if (reader_) TF.TF_DeleteCheckpointReader(reader_);
  reader_ = nullptr;
  return info.Env().Undefined();
}

// variables() → [{ name, dtype, shape }]
Napi::Value CheckpointReader::Variables(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfClosed(env, !reader_, kClosedReader);
  int n = TF.TF_CheckpointReaderSize(reader_);
  Napi::Array out = Napi::Array::New(env, n);
  for (int i = 0; i < n; i++) {
    const char* name = TF.TF_CheckpointReaderGetVariable(reader_, i);
    int nd = TF.TF_CheckpointReaderGetVariableNumDims(reader_, name);
    std::vector<int64_t> dims(nd > 0 ? nd : 0);
    StatusPtr st = NewStatus();
    if (nd > 0) TF.TF_CheckpointReaderGetVariableShape(reader_, name, dims.data(), nd, st.get());
    Napi::Object v = Napi::Object::New(env);
    v.Set("name", name);
    v.Set("dtype",
          Napi::Number::New(env, TF.TF_CheckpointReaderGetVariableDataType(reader_, name)));
    v.Set("shape", FromDims(env, dims.data(), nd > 0 ? nd : 0));
    out.Set(i, v);
  }
  return out;
}

// tensor(name) → { dtype, shape, data }
Napi::Value CheckpointReader::Tensor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfClosed(env, !reader_, kClosedReader);
  if (!info[0].IsString()) ThrowType(env, "variable name must be a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  StatusPtr st = NewStatus();
  TensorPtr t(TF.TF_CheckpointReaderGetTensor(reader_, name.c_str(), st.get()));
  ThrowIfError(env, st.get());
  return TensorToJs(env, std::move(t), false);
}

}  // namespace tfm
