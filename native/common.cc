#include "common.h"

namespace tfm {

AddonData* Data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

Napi::Error MakeError(Napi::Env env, int code, const std::string& message) {
  AddonData* data = Data(env);
  if (data && !data->errorFactory.IsEmpty()) {
    Napi::Value e = data->errorFactory.Call({Napi::Number::New(env, code), Napi::String::New(env, message)});
    if (e.IsObject()) return Napi::Error(env, e);
  }
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::Number::New(env, code));
  return e;
}

void ThrowType(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

void RequireLoaded(Napi::Env env) {
  if (!IsLoaded()) {
    throw Napi::Error::New(env, "libtensorflow is not loaded: call load() first (lib/native.ts does this)");
  }
}

std::vector<int64_t> ToDims(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsArray()) ThrowType(env, std::string(what) + ": expected an array of dimensions");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> dims(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value d = a.Get(i);
    if (!d.IsNumber()) ThrowType(env, std::string(what) + ": dimension " + std::to_string(i) + " is not a number");
    dims[i] = d.As<Napi::Number>().Int64Value();
  }
  return dims;
}

Napi::Array FromDims(Napi::Env env, const int64_t* dims, int n) {
  Napi::Array a = Napi::Array::New(env, n < 0 ? 0 : n);
  for (int i = 0; i < n; i++) a.Set(i, Napi::Number::New(env, static_cast<double>(dims[i])));
  return a;
}

}  // namespace tfm
