// Tensors between JS and TF.
//
// The JS side of a tensor is a plain object { dtype: number (TF_DataType), shape: number[],
// data }, where data is a TypedArray/ArrayBuffer for numeric types and an array of Uint8Array
// for TF_STRING. lib/core/tensor.ts builds and reads these; C++ only re-checks what would crash.
//
// Memory: feeds from memory made by AllocAligned (64-byte aligned, TF's default alignment) are
// shared with TF without a copy (ref-counted); other feeds are copied once. Outputs of at most
// 16 real-valued elements cross as JS numbers/BigInts (no ArrayBuffer: see InlineValues); larger
// ones are copied into a JS ArrayBuffer, except large outputs of async runs, which JS gets without
// a copy (external ArrayBuffer that owns the TF_Tensor; Dispose releases it eagerly).
#pragma once

#include <napi.h>

#include <functional>
#include <string>

#include "common.h"

namespace tfm {

// Builds a TF_Tensor from the JS object; `what` names it in errors (e.g. "feed 'x:0'").
TensorPtr TensorFromJs(Napi::Env env, const Napi::Value& value, const std::string& what);
// The same from the three parts; `what` is only formatted when there is an error. `shared`, when
// given, tells whether the tensor uses the JS memory itself (aligned native memory) or a copy.
TensorPtr TensorFromParts(Napi::Env env, const Napi::Value& dtype, const Napi::Value& shape,
                          const Napi::Value& data, const std::function<std::string()>& what,
                          bool* shared = nullptr);

// A feed made once and reused by every run that feeds it, as a C program reuses one TF_Tensor:
// only for tensors in aligned native memory (Tensor.alloc), whose TF_Tensor shares that memory, so
// writes to the JS array are what the next run sees. Runs hold a reference while they use it.
struct FeedHandle {
  TF_Tensor* tensor;
  explicit FeedHandle(TF_Tensor* t) : tensor(t) {}
  ~FeedHandle();
  FeedHandle(const FeedHandle&) = delete;
  FeedHandle& operator=(const FeedHandle&) = delete;
};
using FeedRef = std::shared_ptr<FeedHandle>;
// The handle slot behind an External made by feedHandle() (empty once released), or null for any
// other value.
const FeedRef* FeedHandleOf(const Napi::Value& value);

// The shape of a tensor as a JS array.
Napi::Array ShapeToJs(Napi::Env env, TF_Tensor* tensor);
// The data of a tensor as JS sees it (see the top of this file); takes the tensor when JS gets its
// memory without a copy.
Napi::Value DataToJs(Napi::Env env, TensorPtr& tensor, bool zeroCopy);

// Converts and consumes the tensor as { dtype, shape, data }. zeroCopy allows an external
// ArrayBuffer for large data. (Runs return shapes and data positionally: see session.cc.)
Napi::Object TensorToJs(Napi::Env env, TensorPtr tensor, bool zeroCopy);

void InitTensor(Napi::Env env, Napi::Object exports);

}  // namespace tfm
