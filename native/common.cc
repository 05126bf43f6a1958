#include "common.h"

namespace tfm {

AddonData* Data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

Napi::Error MakeError(Napi::Env env, int code, const std::string& message) {
  AddonData* data = Data(env);
  if (data && !data->errorFactory.IsEmpty()) {
    Napi::Value e =
        data->errorFactory.Call({Napi::Number::New(env, code), Napi::String::New(env, message)});
    if (e.IsObject()) return Napi::Error(env, e);
  }
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::Number::New(env, code));
  return e;
}

void ThrowType(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

void ThrowIfError(Napi::Env env, const StatusCopy& s) {
  if (!s.ok()) throw MakeError(env, s);
}

void ThrowIfError(Napi::Env env, TF_Status* s) {
  if (TF.TF_GetCode(s) != TF_OK) throw MakeError(env, s);
}

std::string PathArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsString()) ThrowType(info.Env(), std::string(what) + " must be a string");
  std::string p = info[i].As<Napi::String>().Utf8Value();
  if (p.find('\0') != std::string::npos)
    ThrowType(info.Env(), std::string(what) + " must not contain NUL");
  return p;
}

void RequireLoaded(Napi::Env env) {
  if (!IsLoaded()) {
    throw MakeError(env, TF_FAILED_PRECONDITION,
                    "libtensorflow is not loaded: call load() first (lib/native.ts does this)");
  }
}

void CheckRank(Napi::Env env, size_t rank, const std::function<std::string()>& what) {
  if (rank > kMaxRank) {
    throw MakeError(env, TF_INVALID_ARGUMENT,
                    what() + ": rank " + std::to_string(rank) + " is above " +
                        std::to_string(kMaxRank) + ", the most dimensions TensorFlow allows");
  }
}

int64_t CheckDims(Napi::Env env, const int64_t* dims, size_t rank, bool partial,
                  const std::function<std::string()>& what) {
  CheckRank(env, rank, what);
  int64_t known = 1;
  bool unknown = false;
  for (size_t i = 0; i < rank; i++) {
    int64_t d = dims[i];
    if (d < 0) {
      if (partial && d == -1) {
        unknown = true;
        continue;
      }
      throw MakeError(
          env, TF_INVALID_ARGUMENT,
          what() + ": dimension " + std::to_string(i) + " is " + std::to_string(d) +
              (partial ? "; dimensions are >= 0, or -1 for unknown" : "; dimensions are >= 0"));
    }
    if (__builtin_mul_overflow(known, d, &known)) {
      throw MakeError(env, TF_INVALID_ARGUMENT,
                      what() + ": the product of the dimensions overflows int64 at dimension " +
                          std::to_string(i) + " (" + std::to_string(d) + ")");
    }
  }
  return unknown ? -1 : known;
}

std::vector<int64_t> ToDims(Napi::Env env, const Napi::Value& v, const std::string& what,
                            bool partial) {
  if (!v.IsArray()) ThrowType(env, what + ": expected an array of dimensions");
  Napi::Array a = v.As<Napi::Array>();
  uint32_t rank = a.Length();
  CheckRank(env, rank, [&] { return what; });
  std::vector<int64_t> dims(rank);
  for (uint32_t i = 0; i < rank; i++) {
    Napi::Value d = a.Get(i);
    if (!d.IsNumber())
      ThrowType(env, what + ": dimension " + std::to_string(i) + " is not a number");
    dims[i] = d.As<Napi::Number>().Int64Value();
  }
  CheckDims(env, dims.data(), rank, partial, [&] { return what; });
  return dims;
}

Napi::Array FromDims(Napi::Env env, const int64_t* dims, int n) {
  Napi::Array a = Napi::Array::New(env, n < 0 ? 0 : n);
  for (int i = 0; i < n; i++) a.Set(i, Napi::Number::New(env, static_cast<double>(dims[i])));
  return a;
}

}  // namespace tfm
