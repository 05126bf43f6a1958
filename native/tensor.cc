#include "tensor.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace tfm {
namespace {

constexpr size_t kAlignment = 64;               // TF_TensorDefaultAlignment() on x86-64 builds
constexpr size_t kZeroCopyMinBytes = 64 << 10;  // below this a copy is cheaper than a finalizer

// Memory shared by JS (an external ArrayBuffer) and TF (tensors).
//
// Two counts, because the memory and the bookkeeping live for different times: `memRefs` counts
// users of the memory (the JS buffer until it is disposed or collected, and each TF tensor that
// shares it); `holders` counts who may still touch this struct (the JS finalizer, which Node runs
// even after a detach, and each TF deallocator). The memory goes when memRefs reaches 0 (eager
// dispose), the struct when holders does. Releases can happen on a TF thread: they use only the
// mutex, atomics and free().
struct SharedBlock {
  void* data;
  size_t size;
  TF_Tensor* tensor;  // set when the block is a TF output handed to JS; else aligned_alloc'ed
  int memRefs = 1;    // guarded by g_blocksMu
  std::atomic<int> holders{1};
  std::atomic<bool> jsReleased{false};
  SharedBlock(void* d, size_t n, TF_Tensor* t) : data(d), size(n), tensor(t) {}
};

std::mutex g_blocksMu;
std::map<uintptr_t, SharedBlock*> g_blocks;  // live memory, keyed by start address

void ReleaseMemory(SharedBlock* b) {
  {
    std::lock_guard<std::mutex> lock(g_blocksMu);
    if (--b->memRefs != 0) return;
    auto it = g_blocks.find(reinterpret_cast<uintptr_t>(b->data));
    if (it != g_blocks.end() && it->second == b) g_blocks.erase(it);
  }
  if (b->tensor)
    TF.TF_DeleteTensor(b->tensor);
  else
    std::free(b->data);
  b->tensor = nullptr;
  b->data = nullptr;
}

void ReleaseHolder(SharedBlock* b) {
  if (b->holders.fetch_sub(1) == 1) delete b;
}

// The JS side lets go of the memory (dispose or garbage collection), once.
void ReleaseJsMemory(SharedBlock* b) {
  if (!b->jsReleased.exchange(true)) ReleaseMemory(b);
}

// The block containing [p, p+len), with a new reference, or null.
SharedBlock* FindAndRef(const void* p, size_t len) {
  std::lock_guard<std::mutex> lock(g_blocksMu);
  auto addr = reinterpret_cast<uintptr_t>(p);
  auto it = g_blocks.upper_bound(addr);
  if (it == g_blocks.begin()) return nullptr;
  --it;
  SharedBlock* b = it->second;
  if (addr + len > it->first + b->size || b->tensor || b->jsReleased) return nullptr;
  b->memRefs++;
  b->holders.fetch_add(1);
  return b;
}

// False when another block already starts there (TF forwards buffers: an Identity output can
// share memory with a feed or with another output); the caller then copies instead.
bool Register(SharedBlock* b) {
  std::lock_guard<std::mutex> lock(g_blocksMu);
  return g_blocks.emplace(reinterpret_cast<uintptr_t>(b->data), b).second;
}

Napi::ArrayBuffer ExternalBuffer(Napi::Env env, SharedBlock* b) {
  return Napi::ArrayBuffer::New(
      env, b->data, b->size,
      [](Napi::Env, void*, SharedBlock* block) {
        ReleaseJsMemory(block);
        ReleaseHolder(block);
      },
      b);
}

void DeallocShared(void*, size_t, void* arg) {
  auto* b = static_cast<SharedBlock*>(arg);
  ReleaseMemory(b);
  ReleaseHolder(b);
}

size_t TypedArrayElementSize(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    default:
      return 8;  // float64, bigint64, biguint64
  }
}

bool IsNumeric(TF_DataType t) { return t != TF_STRING && t != TF_RESOURCE && t != TF_VARIANT; }

// Outputs of at most this many elements cross as JS numbers (or BigInts), not as an ArrayBuffer.
// An ArrayBuffer costs a malloc'ed backing store, its registry entry and GC sweeping: measured,
// ~2.5 µs per scalar output against ~0.1 µs for a number; JS then builds an on-heap typed array.
constexpr int64_t kInlineMaxElements = 16;

template <typename T>
double AsDouble(const void* p, int64_t i) {
  return static_cast<double>(static_cast<const T*>(p)[i]);
}

// The values of a small real-valued tensor as JS numbers/BigInts: one value for a single element,
// else an array. Empty Value when they have no exact JS number form (complex dtypes, NaNs): the
// caller falls back to an ArrayBuffer.
Napi::Value InlineValues(Napi::Env env, TF_DataType dtype, const void* p, int64_t count) {
  // A NaN's payload does not survive a JS number (float → double quiets it, V8 may canonicalize):
  // NaNs take the ArrayBuffer path, which keeps every bit.
  auto number = [&](double v) -> Napi::Value {
    return v != v ? Napi::Value() : Napi::Number::New(env, v);
  };
  auto one = [&](int64_t i) -> Napi::Value {
    switch (dtype) {
      case TF_FLOAT:
        return number(AsDouble<float>(p, i));
      case TF_DOUBLE:
        return number(AsDouble<double>(p, i));
      case TF_INT32:
      case TF_QINT32:
        return Napi::Number::New(env, AsDouble<int32_t>(p, i));
      case TF_UINT32:
        return Napi::Number::New(env, AsDouble<uint32_t>(p, i));
      case TF_INT16:
      case TF_QINT16:
        return Napi::Number::New(env, AsDouble<int16_t>(p, i));
      case TF_UINT16:
      case TF_QUINT16:
      case TF_HALF:
      case TF_BFLOAT16:  // 16-bit raw patterns
        return Napi::Number::New(env, AsDouble<uint16_t>(p, i));
      case TF_INT8:
      case TF_QINT8:
        return Napi::Number::New(env, AsDouble<int8_t>(p, i));
      case TF_UINT8:
      case TF_QUINT8:
      case TF_BOOL:
        return Napi::Number::New(env, AsDouble<uint8_t>(p, i));
      case TF_INT64:
        return Napi::BigInt::New(env, static_cast<const int64_t*>(p)[i]);
      case TF_UINT64:
        return Napi::BigInt::New(env, static_cast<const uint64_t*>(p)[i]);
      default:
        return Napi::Value();
    }
  };
  if (count == 1) return one(0);
  Napi::Array arr = Napi::Array::New(env, static_cast<size_t>(count));
  for (int64_t i = 0; i < count; i++) {
    Napi::Value v = one(i);
    if (v.IsEmpty()) return Napi::Value();
    arr.Set(static_cast<uint32_t>(i), v);
  }
  return arr;
}

// allocAligned(byteLength) → ArrayBuffer whose memory TF can use without a copy.
Napi::Value AllocAligned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  if (!info[0].IsNumber()) ThrowType(env, "allocAligned: byteLength must be a number");
  int64_t n = info[0].As<Napi::Number>().Int64Value();
  if (n < 0 || n > (int64_t(1) << 40)) ThrowType(env, "allocAligned: byteLength out of range");
  size_t size = static_cast<size_t>(n);
  size_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (!p)
    throw MakeError(env, TF_RESOURCE_EXHAUSTED,
                    "allocAligned: out of memory (" + std::to_string(size) + " bytes)");
  std::memset(p, 0, rounded == 0 ? kAlignment : rounded);
  auto* b = new SharedBlock(p, size, nullptr);
  Register(b);
  return ExternalBuffer(env, b);
}

// dispose(arrayBuffer): releases native memory behind an external ArrayBuffer now instead of
// at garbage collection, and detaches the buffer so JS cannot read freed memory. Returns
// whether there was anything to release.
Napi::Value Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArrayBuffer()) return Napi::Boolean::New(env, false);
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  if (ab.IsDetached()) return Napi::Boolean::New(env, false);
  void* p = ab.Data();
  SharedBlock* b = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_blocksMu);
    auto it = g_blocks.find(reinterpret_cast<uintptr_t>(p));
    if (it != g_blocks.end() && !it->second->jsReleased) b = it->second;
  }
  if (!b) return Napi::Boolean::New(env, false);
  // Detach first so JS can never read the memory after it is freed. The struct stays alive: the
  // buffer's finalizer still runs later and only drops its holder reference then.
  ab.Detach();
  ReleaseJsMemory(b);
  return Napi::Boolean::New(env, true);
}

}  // namespace

TensorPtr TensorFromJs(Napi::Env env, const Napi::Value& value, const std::string& what) {
  if (!value.IsObject()) ThrowType(env, what + ": expected a tensor object");
  Napi::Object o = value.As<Napi::Object>();
  return TensorFromParts(env, o.Get("dtype"), o.Get("shape"), o.Get("data"), [&] { return what; });
}

TensorPtr TensorFromParts(Napi::Env env, const Napi::Value& dt, const Napi::Value& shape,
                          const Napi::Value& data, const std::function<std::string()>& whatFn,
                          bool* shared) {
  if (shared) *shared = false;
  auto fail = [&](const std::string& m) { ThrowType(env, whatFn() + m); };
  if (!dt.IsNumber()) fail(": dtype must be a TF_DataType number");
  auto dtype = static_cast<TF_DataType>(dt.As<Napi::Number>().Int32Value());
  // Raw N-API calls that fail on a wrong type, instead of a type check before each read: a feed
  // pays these on every run.
  uint32_t rank = 0;
  if (napi_get_array_length(env, shape, &rank) != napi_ok)
    fail(": expected an array of dimensions");
  // The rank is bounded before any dimension is read: a sparse array may claim 2^32-1 of them.
  CheckRank(env, rank, whatFn);
  int64_t dimsBuf[kMaxRank];
  for (uint32_t i = 0; i < rank; i++) {
    napi_value d = nullptr;
    if (napi_get_element(env, shape, i, &d) != napi_ok ||
        napi_get_value_int64(env, d, &dimsBuf[i]) != napi_ok) {
      fail(": dimension " + std::to_string(i) + " is not a number");
    }
  }
  const int64_t count = CheckDims(env, dimsBuf, rank, false, whatFn);
  struct {
    int64_t* data() { return p; }
    size_t size() const { return n; }
    int64_t* p;
    size_t n;
  } dims{dimsBuf, rank};
  std::string what;  // formatted lazily below
  auto whatStr = [&]() -> const std::string& {
    if (what.empty()) what = whatFn();
    return what;
  };

  if (dtype == TF_STRING) {
    if (!data.IsArray()) ThrowType(env, whatStr() + ": string data must be an array of Uint8Array");
    Napi::Array arr = data.As<Napi::Array>();
    if (static_cast<int64_t>(arr.Length()) != count)
      ThrowType(env, whatStr() + ": element count does not match shape");
    // Every element is checked before TF allocates count strings: a sparse array may claim 2^32-1.
    std::vector<Napi::Uint8Array> elems;
    elems.reserve(static_cast<size_t>(std::min<int64_t>(count, 4096)));
    for (int64_t i = 0; i < count; i++) {
      Napi::Value e = arr.Get(static_cast<uint32_t>(i));
      napi_typedarray_type type;
      if (napi_get_typedarray_info(env, e, &type, nullptr, nullptr, nullptr, nullptr) != napi_ok ||
          (type != napi_uint8_array && type != napi_uint8_clamped_array)) {
        ThrowType(env,
                  whatStr() + ": string element " + std::to_string(i) + " is not a Uint8Array");
      }
      elems.push_back(e.As<Napi::Uint8Array>());
    }
    TensorPtr t(TF.TF_AllocateTensor(TF_STRING, dims.data(), static_cast<int>(dims.size()),
                                     count * sizeof(TF_TString)));
    if (!t || (count > 0 && !TF.TF_TensorData(t.get())))
      throw Napi::Error::New(env, whatStr() + ": TF could not allocate the tensor");
    auto* s = static_cast<TF_TString*>(TF.TF_TensorData(t.get()));
    for (int64_t i = 0; i < count; i++) TF.TF_StringInit(&s[i]);
    for (int64_t i = 0; i < count; i++) {
      const Napi::Uint8Array& bytes = elems[static_cast<size_t>(i)];
      TF.TF_StringCopy(&s[i], reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
    }
    return t;
  }
  if (!IsNumeric(dtype))
    ThrowType(env, whatStr() + ": cannot feed a resource or variant tensor from JS");
  size_t elem = TF.TF_DataTypeSize(dtype);
  if (elem == 0) ThrowType(env, whatStr() + ": unsupported dtype " + std::to_string(dtype));
  const void* src = nullptr;
  size_t len = 0;
  napi_typedarray_type taType;
  size_t taLength = 0;
  void* taData = nullptr;
  // One N-API call for type, length and data pointer (the wrapper's accessors make five); it fails
  // on anything that is not a typed array.
  if (napi_get_typedarray_info(env, data, &taType, &taLength, &taData, nullptr, nullptr) ==
      napi_ok) {
    src = taData;
    len = taLength * TypedArrayElementSize(taType);
  } else if (data.IsArrayBuffer()) {
    Napi::ArrayBuffer ab = data.As<Napi::ArrayBuffer>();
    src = ab.Data();
    len = ab.ByteLength();
  } else {
    ThrowType(env, whatStr() + ": numeric data must be a TypedArray");
  }
  size_t want = 0;
  if (__builtin_mul_overflow(static_cast<size_t>(count), elem, &want) || len != want) {
    ThrowType(env, whatStr() + ": data has " + std::to_string(len) +
                       " bytes, shape and dtype need " +
                       (want || !count ? std::to_string(want) : "more than 2^64"));
  }
  if (want > 0 && reinterpret_cast<uintptr_t>(src) % kAlignment == 0) {
    if (SharedBlock* b = FindAndRef(src, want)) {
      TF_Tensor* t = TF.TF_NewTensor(dtype, dims.data(), static_cast<int>(dims.size()),
                                     const_cast<void*>(src), want, DeallocShared, b);
      if (t) {
        if (shared) *shared = true;
        return TensorPtr(t);
      }
      DeallocShared(nullptr, 0, b);
    }
  }
  TensorPtr t(TF.TF_AllocateTensor(dtype, dims.data(), static_cast<int>(dims.size()), want));
  if (!t) throw Napi::Error::New(env, whatStr() + ": TF could not allocate the tensor");
  if (want) std::memcpy(TF.TF_TensorData(t.get()), src, want);
  return t;
}

Napi::Object TensorToJs(Napi::Env env, TensorPtr tensor, bool zeroCopy) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("dtype", Napi::Number::New(env, TF.TF_TensorType(tensor.get())));
  out.Set("shape", ShapeToJs(env, tensor.get()));
  out.Set("data", DataToJs(env, tensor, zeroCopy));
  return out;
}

Napi::Array ShapeToJs(Napi::Env env, TF_Tensor* t) {
  int nd = TF.TF_NumDims(t);
  Napi::Array shape = Napi::Array::New(env, nd);
  for (int i = 0; i < nd; i++)
    shape.Set(i, Napi::Number::New(env, static_cast<double>(TF.TF_Dim(t, i))));
  return shape;
}

Napi::Value DataToJs(Napi::Env env, TensorPtr& tensor, bool zeroCopy) {
  TF_Tensor* t = tensor.get();
  TF_DataType dtype = TF.TF_TensorType(t);
  size_t bytes = TF.TF_TensorByteSize(t);
  void* p = TF.TF_TensorData(t);
  if (dtype == TF_STRING) {
    int64_t count = TF.TF_TensorElementCount(t);
    auto* s = static_cast<const TF_TString*>(p);
    Napi::Array arr = Napi::Array::New(env, count);
    for (int64_t i = 0; i < count; i++) {
      const char* d = TF.TF_StringGetDataPointer(&s[i]);
      size_t n = TF.TF_StringGetSize(&s[i]);
      arr.Set(static_cast<uint32_t>(i),
              Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(d), n));
    }
    return arr;
  }
  if (!IsNumeric(dtype)) return env.Null();
  int64_t count = TF.TF_TensorElementCount(t);
  if (count >= 1 && count <= kInlineMaxElements && p) {
    Napi::Value v = InlineValues(env, dtype, p, count);
    if (!v.IsEmpty()) return v;
  }
  if (zeroCopy && bytes >= kZeroCopyMinBytes && p && reinterpret_cast<uintptr_t>(p) % 8 == 0) {
    auto* b = new SharedBlock(p, bytes, t);
    if (Register(b)) {
      tensor.release();
      return ExternalBuffer(env, b);
    }
    delete b;
  }
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, bytes);
  if (bytes) std::memcpy(ab.Data(), p, bytes);
  return ab;
}

FeedHandle::~FeedHandle() {
  if (tensor) TF.TF_DeleteTensor(tensor);
}

namespace {

// What a JS handle holds: releaseFeedHandle() empties it, the finalizer deletes it.
using FeedSlot = TaggedSlot<0x46454544 /* FEED */, FeedRef>;

// feedHandle(dtype, shape, data) → a handle to feed instead of (dtype, shape, data), or null when
// the data is not aligned native memory (a copy would freeze its values: those are fed as parts).
Napi::Value MakeFeedHandle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env);
  bool shared = false;
  TensorPtr t = TensorFromParts(
      env, info[0], info[1], info[2], [] { return std::string("feedHandle"); }, &shared);
  if (!shared) return env.Null();
  return FeedSlot::Wrap(env, std::make_shared<FeedHandle>(t.release()));
}

// releaseFeedHandle(handle): drops the handle's tensor now (runs in flight keep theirs).
Napi::Value ReleaseFeedHandle(const Napi::CallbackInfo& info) {
  if (FeedSlot* slot = FeedSlot::From(info[0])) slot->value.reset();
  return info.Env().Undefined();
}

}  // namespace

const FeedRef* FeedHandleOf(const Napi::Value& value) {
  FeedSlot* slot = FeedSlot::From(value);
  return slot ? &slot->value : nullptr;
}

void InitTensor(Napi::Env env, Napi::Object exports) {
  exports.Set("allocAligned", Napi::Function::New(env, AllocAligned, "allocAligned"));
  exports.Set("disposeBuffer", Napi::Function::New(env, Dispose, "disposeBuffer"));
  exports.Set("feedHandle", Napi::Function::New(env, MakeFeedHandle, "feedHandle"));
  exports.Set("releaseFeedHandle",
              Napi::Function::New(env, ReleaseFeedHandle, "releaseFeedHandle"));
  Napi::Object dtypes = Napi::Object::New(env);
  const std::pair<const char*, int> dtypeList[] = {
      {"TF_FLOAT", TF_FLOAT},     {"TF_DOUBLE", TF_DOUBLE},       {"TF_INT32", TF_INT32},
      {"TF_UINT8", TF_UINT8},     {"TF_INT16", TF_INT16},         {"TF_INT8", TF_INT8},
      {"TF_STRING", TF_STRING},   {"TF_COMPLEX64", TF_COMPLEX64}, {"TF_INT64", TF_INT64},
      {"TF_BOOL", TF_BOOL},       {"TF_QINT8", TF_QINT8},         {"TF_QUINT8", TF_QUINT8},
      {"TF_QINT32", TF_QINT32},   {"TF_BFLOAT16", TF_BFLOAT16},   {"TF_QINT16", TF_QINT16},
      {"TF_QUINT16", TF_QUINT16}, {"TF_UINT16", TF_UINT16},       {"TF_COMPLEX128", TF_COMPLEX128},
      {"TF_HALF", TF_HALF},       {"TF_RESOURCE", TF_RESOURCE},   {"TF_VARIANT", TF_VARIANT},
      {"TF_UINT32", TF_UINT32},   {"TF_UINT64", TF_UINT64},
  };
  for (const auto& [name, value] : dtypeList) dtypes.Set(name, Napi::Number::New(env, value));
  exports.Set("dtypes", dtypes);
  Napi::Object codes = Napi::Object::New(env);
  const std::pair<const char*, int> codeList[] = {
      {"OK", TF_OK},
      {"CANCELLED", TF_CANCELLED},
      {"UNKNOWN", TF_UNKNOWN},
      {"INVALID_ARGUMENT", TF_INVALID_ARGUMENT},
      {"DEADLINE_EXCEEDED", TF_DEADLINE_EXCEEDED},
      {"NOT_FOUND", TF_NOT_FOUND},
      {"ALREADY_EXISTS", TF_ALREADY_EXISTS},
      {"PERMISSION_DENIED", TF_PERMISSION_DENIED},
      {"RESOURCE_EXHAUSTED", TF_RESOURCE_EXHAUSTED},
      {"FAILED_PRECONDITION", TF_FAILED_PRECONDITION},
      {"ABORTED", TF_ABORTED},
      {"OUT_OF_RANGE", TF_OUT_OF_RANGE},
      {"UNIMPLEMENTED", TF_UNIMPLEMENTED},
      {"INTERNAL", TF_INTERNAL},
      {"UNAVAILABLE", TF_UNAVAILABLE},
      {"DATA_LOSS", TF_DATA_LOSS},
      {"UNAUTHENTICATED", TF_UNAUTHENTICATED},
  };
  for (const auto& [name, value] : codeList) codes.Set(name, Napi::Number::New(env, value));
  exports.Set("codes", codes);
}

}  // namespace tfm
