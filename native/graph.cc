#include "graph.h"

#include <cstdint>
#include <cstring>

#include "tensor.h"

namespace tfm {
namespace {

Napi::Uint8Array BufferToJs(Napi::Env env, const TF_Buffer* b) {
  Napi::Uint8Array out = Napi::Uint8Array::New(env, b->length);
  if (b->length) std::memcpy(out.Data(), b->data, b->length);
  return out;
}

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsString()) ThrowType(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

// "name:3" → ("name", 3); "name" → ("name", 0). An index above INT_MAX (no operation has that
// many outputs) comes back as -1, which OutputByName reports as a tensor that does not exist.
std::pair<std::string, int> SplitTensorName(const std::string& name) {
  auto colon = name.rfind(':');
  if (colon == std::string::npos || colon + 1 == name.size()) return {name, 0};
  int64_t index = 0;
  for (size_t i = colon + 1; i < name.size(); i++) {
    if (name[i] < '0' || name[i] > '9') return {name, 0};
    if (index <= INT32_MAX) index = index * 10 + (name[i] - '0');
  }
  return {name.substr(0, colon), index > INT32_MAX ? -1 : static_cast<int>(index)};
}

Napi::Value TfVersion(const Napi::CallbackInfo& info) {
  RequireLoaded(info.Env());
  return Napi::String::New(info.Env(), TF.TF_Version());
}

Napi::Value AllOpList(const Napi::CallbackInfo& info) {
  RequireLoaded(info.Env());
  BufferPtr b(TF.TF_GetAllOpList());
  return BufferToJs(info.Env(), b.get());
}

}  // namespace

Napi::Function Graph::Init(Napi::Env env) {
  return DefineClass(env, "NativeGraph",
                     {
                         InstanceMethod<&Graph::ImportGraphDef>("importGraphDef"),
                         InstanceMethod<&Graph::ToGraphDef>("toGraphDef"),
                         InstanceMethod<&Graph::HasOperation>("hasOperation"),
                         InstanceMethod<&Graph::OperationInfo>("operationInfo"),
                         InstanceMethod<&Graph::ListOperations>("listOperations"),
                         InstanceMethod<&Graph::OutputShape>("outputShape"),
                         InstanceMethod<&Graph::AttrValue>("attrValue"),
                         InstanceMethod<&Graph::NodeDef>("nodeDef"),
                         InstanceMethod<&Graph::AddOperation>("addOperation"),
                         InstanceMethod<&Graph::AddGradients>("addGradients"),
                     });
}

Graph::Graph(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Graph>(info) {
  RequireLoaded(info.Env());
  state_ = std::make_shared<GraphState>();
}

Graph* Graph::FromValue(Napi::Env env, const Napi::Value& v, const char* what) {
  Napi::Function ctor = Data(env)->graphCtor.Value();
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(ctor))
    ThrowType(env, std::string(what) + " must be a NativeGraph");
  return Napi::ObjectWrap<Graph>::Unwrap(v.As<Napi::Object>());
}

TF_Operation* Graph::OperationByName(Napi::Env env, const std::string& name) const {
  TF_Operation* op = TF.TF_GraphOperationByName(state_->graph, name.c_str());
  if (!op)
    throw MakeError(env, TF_NOT_FOUND, "The operation '" + name + "' does not exist in the graph.");
  return op;
}

TF_Output Graph::OutputByName(Napi::Env env, const std::string& name) const {
  return tfm::OutputByName(env, state_->graph, name);
}

TF_Output OutputByName(Napi::Env env, TF_Graph* graph, const std::string& name) {
  auto [opName, index] = SplitTensorName(name);
  TF_Operation* op = TF.TF_GraphOperationByName(graph, opName.c_str());
  if (!op) {
    throw MakeError(
        env, TF_NOT_FOUND,
        "The tensor '" + name + "' does not exist: the graph has no operation '" + opName + "'.");
  }
  int n = TF.TF_OperationNumOutputs(op);
  if (index < 0 || index >= n) {
    throw MakeError(env, TF_NOT_FOUND,
                    "The tensor '" + name + "' does not exist: operation '" + opName + "' has " +
                        std::to_string(n) + " output(s).");
  }
  return TF_Output{op, index};
}

// importGraphDef(bytes, { prefix, inputMap: [[src, srcIndex, dstName]], controlDependencies:
// [names],
//                         uniquifyNames }) → void. Throws with TF's message on a bad GraphDef.
Napi::Value Graph::ImportGraphDef(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) ThrowType(env, "graphDef must be a Uint8Array");
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  ImportOptionsPtr opts(TF.TF_NewImportGraphDefOptions());
  std::string prefix;
  if (info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    if (o.Get("prefix").IsString()) {
      prefix = o.Get("prefix").As<Napi::String>().Utf8Value();
      TF.TF_ImportGraphDefOptionsSetPrefix(opts.get(), prefix.c_str());
    }
    if (o.Get("uniquifyNames").IsBoolean()) {
      TF.TF_ImportGraphDefOptionsSetUniquifyNames(
          opts.get(), o.Get("uniquifyNames").As<Napi::Boolean>() ? 1 : 0);
    }
    // The options object keeps pointers to the names: keep the strings alive until the import.
    std::vector<std::string> keep;
    keep.reserve(64);
    if (o.Get("inputMap").IsArray()) {
      Napi::Array m = o.Get("inputMap").As<Napi::Array>();
      for (uint32_t i = 0; i < m.Length(); i++) {
        Napi::Array e = m.Get(i).As<Napi::Array>();
        std::string src = e.Get(0u).As<Napi::String>().Utf8Value();
        Napi::Value idx = e.Get(1u);
        double srcIndex = idx.IsNumber() ? idx.As<Napi::Number>().DoubleValue() : -1;
        if (!(srcIndex >= 0 && srcIndex <= INT32_MAX && srcIndex == static_cast<int>(srcIndex))) {
          ThrowType(env, "inputMap['" + src +
                             "']: the source output index must be an integer in [0, 2^31-1]");
        }
        TF_Output dst = OutputByName(env, e.Get(2u).As<Napi::String>().Utf8Value());
        // TF copies the source name into its own storage.
        TF.TF_ImportGraphDefOptionsAddInputMapping(opts.get(), src.c_str(),
                                                   static_cast<int>(srcIndex), dst);
      }
    }
    if (o.Get("controlDependencies").IsArray()) {
      Napi::Array m = o.Get("controlDependencies").As<Napi::Array>();
      for (uint32_t i = 0; i < m.Length(); i++) {
        TF.TF_ImportGraphDefOptionsAddControlDependency(
            opts.get(), OperationByName(env, m.Get(i).As<Napi::String>().Utf8Value()));
      }
    }
  }
  TF_Buffer buf{bytes.Data(), bytes.ByteLength(), nullptr};
  StatusPtr status = NewStatus();
  ImportResultsPtr results(
      TF.TF_GraphImportGraphDefWithResults(state_->graph, &buf, opts.get(), status.get()));
  ThrowIfError(env, status.get());
  int nMissing = 0;
  const char** names = nullptr;
  int* indexes = nullptr;
  TF.TF_ImportGraphDefResultsMissingUnusedInputMappings(results.get(), &nMissing, &names, &indexes);
  Napi::Array missing = Napi::Array::New(env, nMissing);
  for (int i = 0; i < nMissing; i++) {
    missing.Set(i,
                Napi::String::New(env, std::string(names[i]) + ":" + std::to_string(indexes[i])));
  }
  return missing;
}

Napi::Value Graph::ToGraphDef(const Napi::CallbackInfo& info) {
  StatusPtr status = NewStatus();
  BufferPtr buf(TF.TF_NewBuffer());
  TF.TF_GraphToGraphDef(state_->graph, buf.get(), status.get());
  ThrowIfError(info.Env(), status.get());
  return BufferToJs(info.Env(), buf.get());
}

Napi::Value Graph::HasOperation(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  return Napi::Boolean::New(info.Env(),
                            TF.TF_GraphOperationByName(state_->graph, name.c_str()) != nullptr);
}

// operationInfo(name) → { name, type, device, inputs: ["op:i"], controlInputs: [names],
//                          outputTypes: [TF_DataType] } or null.
Napi::Value Graph::OperationInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = StringArg(info, 0, "name");
  TF_Operation* op = TF.TF_GraphOperationByName(state_->graph, name.c_str());
  if (!op) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", TF.TF_OperationName(op));
  o.Set("type", TF.TF_OperationOpType(op));
  o.Set("device", TF.TF_OperationDevice(op));
  int nIn = TF.TF_OperationNumInputs(op);
  Napi::Array inputs = Napi::Array::New(env, nIn);
  for (int i = 0; i < nIn; i++) {
    TF_Output src = TF.TF_OperationInput(TF_Input{op, i});
    inputs.Set(i, std::string(TF.TF_OperationName(src.oper)) + ":" + std::to_string(src.index));
  }
  o.Set("inputs", inputs);
  int nCtl = TF.TF_OperationNumControlInputs(op);
  std::vector<TF_Operation*> ctl(nCtl);
  if (nCtl) TF.TF_OperationGetControlInputs(op, ctl.data(), nCtl);
  Napi::Array controls = Napi::Array::New(env, nCtl);
  for (int i = 0; i < nCtl; i++) controls.Set(i, TF.TF_OperationName(ctl[i]));
  o.Set("controlInputs", controls);
  int nOut = TF.TF_OperationNumOutputs(op);
  Napi::Array types = Napi::Array::New(env, nOut);
  for (int i = 0; i < nOut; i++)
    types.Set(i, Napi::Number::New(env, TF.TF_OperationOutputType(TF_Output{op, i})));
  o.Set("outputTypes", types);
  return o;
}

// listOperations() → [{ name, type }] in the graph's order.
Napi::Value Graph::ListOperations(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  size_t pos = 0;
  uint32_t i = 0;
  while (TF_Operation* op = TF.TF_GraphNextOperation(state_->graph, &pos)) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", TF.TF_OperationName(op));
    o.Set("type", TF.TF_OperationOpType(op));
    out.Set(i++, o);
  }
  return out;
}

// outputShape("op:i") → number[] (-1 for unknown dims) or null for unknown rank.
Napi::Value Graph::OutputShape(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TF_Output out = OutputByName(env, StringArg(info, 0, "tensor name"));
  StatusPtr status = NewStatus();
  int n = TF.TF_GraphGetTensorNumDims(state_->graph, out, status.get());
  ThrowIfError(env, status.get());
  if (n < 0) return env.Null();
  std::vector<int64_t> dims(n);
  TF.TF_GraphGetTensorShape(state_->graph, out, dims.data(), n, status.get());
  ThrowIfError(env, status.get());
  return FromDims(env, dims.data(), n);
}

// attrValue(opName, attrName) → serialized AttrValue.
Napi::Value Graph::AttrValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TF_Operation* op = OperationByName(env, StringArg(info, 0, "operation name"));
  std::string attr = StringArg(info, 1, "attr name");
  StatusPtr status = NewStatus();
  BufferPtr buf(TF.TF_NewBuffer());
  TF.TF_OperationGetAttrValueProto(op, attr.c_str(), buf.get(), status.get());
  ThrowIfError(env, status.get());
  return BufferToJs(env, buf.get());
}

// nodeDef(opName) → serialized NodeDef.
Napi::Value Graph::NodeDef(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TF_Operation* op = OperationByName(env, StringArg(info, 0, "operation name"));
  StatusPtr status = NewStatus();
  BufferPtr buf(TF.TF_NewBuffer());
  TF.TF_OperationToNodeDef(op, buf.get(), status.get());
  ThrowIfError(env, status.get());
  return BufferToJs(env, buf.get());
}

// addOperation({ type, name, device?, inputs: [ "op:i" | ["op:i", ...] ], controlInputs: [names],
//                attrs: [{ name, kind, value }] }) → the new operation's name.
// kinds: int, float, bool, string, type, shape, tensor, func, proto (a serialized AttrValue, for
// anything else), and list(int|float|bool|string|type|shape|tensor). lib/core/op-builder.ts
// chooses kinds from the OpDef; C++ only converts.
Napi::Value Graph::AddOperation(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) ThrowType(env, "addOperation: expected a description object");
  Napi::Object d = info[0].As<Napi::Object>();
  std::string type = d.Get("type").ToString().Utf8Value();
  std::string name = d.Get("name").ToString().Utf8Value();
  // Resolve every input first: a missing tensor is the common mistake, and it is reported before
  // anything is added to the graph.
  std::vector<std::vector<TF_Output>> inputs;
  std::vector<bool> isList;
  if (d.Get("inputs").IsArray()) {
    Napi::Array in = d.Get("inputs").As<Napi::Array>();
    for (uint32_t i = 0; i < in.Length(); i++) {
      Napi::Value x = in.Get(i);
      std::vector<TF_Output> outs;
      if (x.IsArray()) {
        Napi::Array l = x.As<Napi::Array>();
        for (uint32_t j = 0; j < l.Length(); j++)
          outs.push_back(OutputByName(env, l.Get(j).ToString().Utf8Value()));
      } else {
        outs.push_back(OutputByName(env, x.ToString().Utf8Value()));
      }
      inputs.push_back(std::move(outs));
      isList.push_back(x.IsArray());
    }
  }
  std::vector<TF_Operation*> controls;
  if (d.Get("controlInputs").IsArray()) {
    Napi::Array c = d.Get("controlInputs").As<Napi::Array>();
    for (uint32_t i = 0; i < c.Length(); i++)
      controls.push_back(OperationByName(env, c.Get(i).ToString().Utf8Value()));
  }
  TF_OperationDescription* desc = TF.TF_NewOperation(state_->graph, type.c_str(), name.c_str());
  // From here every exit must finish the description: TF has no call that discards one.
  std::vector<TensorPtr> tensors;
  try {
    if (d.Get("device").IsString()) {
      std::string dev = d.Get("device").As<Napi::String>().Utf8Value();
      TF.TF_SetDevice(desc, dev.c_str());
    }
    for (size_t i = 0; i < inputs.size(); i++) {
      if (isList[i])
        TF.TF_AddInputList(desc, inputs[i].data(), static_cast<int>(inputs[i].size()));
      else
        TF.TF_AddInput(desc, inputs[i][0]);
    }
    for (TF_Operation* c : controls) TF.TF_AddControlInput(desc, c);
    if (d.Get("attrs").IsArray()) {
      Napi::Array attrs = d.Get("attrs").As<Napi::Array>();
      for (uint32_t i = 0; i < attrs.Length(); i++) {
        Napi::Object a = attrs.Get(i).As<Napi::Object>();
        std::string an = a.Get("name").ToString().Utf8Value();
        std::string kind = a.Get("kind").ToString().Utf8Value();
        Napi::Value v = a.Get("value");
        const char* n = an.c_str();
        std::string what = "attr '" + an + "' of operation '" + name + "'";
        auto num = [&](Napi::Value x) {
          if (!x.IsNumber()) ThrowType(env, what + ": expected a number");
          return x.As<Napi::Number>();
        };
        auto list = [&]() {
          if (!v.IsArray()) ThrowType(env, what + ": expected an array");
          return v.As<Napi::Array>();
        };
        // Each element is checked as it is read, so a sparse array claiming 2^32-1 elements
        // fails at its first hole. Reserving room for a claimed length that cannot be allocated
        // throws std::bad_alloc, which node-addon-api turns into a JS Error
        // (NODE_ADDON_API_CPP_EXCEPTIONS_ALL).
        auto each = [&](auto convert) {
          Napi::Array l = list();
          std::vector<decltype(convert(Napi::Value()))> xs;
          xs.reserve(l.Length());
          for (uint32_t j = 0; j < l.Length(); j++) xs.push_back(convert(l.Get(j)));
          return xs;
        };
        if (kind == "int") {
          TF.TF_SetAttrInt(desc, n, num(v).Int64Value());
        } else if (kind == "float") {
          TF.TF_SetAttrFloat(desc, n, num(v).FloatValue());
        } else if (kind == "bool") {
          TF.TF_SetAttrBool(desc, n, v.ToBoolean() ? 1 : 0);
        } else if (kind == "string") {
          if (!v.IsTypedArray()) ThrowType(env, what + ": expected bytes");
          Napi::Uint8Array b = v.As<Napi::Uint8Array>();
          TF.TF_SetAttrString(desc, n, b.Data(), b.ByteLength());
        } else if (kind == "type") {
          TF.TF_SetAttrType(desc, n, static_cast<TF_DataType>(num(v).Int32Value()));
        } else if (kind == "shape") {
          if (v.IsNull()) {
            TF.TF_SetAttrShape(desc, n, nullptr, -1);
          } else {
            std::vector<int64_t> dims = ToDims(env, v, what, true);
            TF.TF_SetAttrShape(desc, n, dims.data(), static_cast<int>(dims.size()));
          }
        } else if (kind == "tensor") {
          TensorPtr t = TensorFromJs(env, v, what);
          StatusPtr s = NewStatus();
          TF.TF_SetAttrTensor(desc, n, t.get(), s.get());
          ThrowIfError(env, s.get());
        } else if (kind == "func") {
          std::string f = v.ToString().Utf8Value();
          TF.TF_SetAttrFuncName(desc, n, f.c_str(), f.size());
        } else if (kind == "proto") {
          if (!v.IsTypedArray()) ThrowType(env, what + ": expected serialized AttrValue bytes");
          Napi::Uint8Array b = v.As<Napi::Uint8Array>();
          StatusPtr s = NewStatus();
          TF.TF_SetAttrValueProto(desc, n, b.Data(), b.ByteLength(), s.get());
          ThrowIfError(env, s.get());
        } else if (kind == "list(int)") {
          std::vector<int64_t> xs =
              each([&](Napi::Value x) -> int64_t { return num(x).Int64Value(); });
          TF.TF_SetAttrIntList(desc, n, xs.data(), static_cast<int>(xs.size()));
        } else if (kind == "list(float)") {
          std::vector<float> xs = each([&](Napi::Value x) -> float { return num(x).FloatValue(); });
          TF.TF_SetAttrFloatList(desc, n, xs.data(), static_cast<int>(xs.size()));
        } else if (kind == "list(bool)") {
          std::vector<unsigned char> xs = each([&](Napi::Value x) -> unsigned char {
            if (!x.IsBoolean()) ThrowType(env, what + ": expected a boolean");
            return x.As<Napi::Boolean>().Value() ? 1 : 0;
          });
          TF.TF_SetAttrBoolList(desc, n, xs.data(), static_cast<int>(xs.size()));
        } else if (kind == "list(type)") {
          std::vector<TF_DataType> xs =
              each([&](Napi::Value x) { return static_cast<TF_DataType>(num(x).Int32Value()); });
          TF.TF_SetAttrTypeList(desc, n, xs.data(), static_cast<int>(xs.size()));
        } else if (kind == "list(string)") {
          std::vector<std::string> xs = each([&](Napi::Value e) -> std::string {
            if (!e.IsTypedArray()) ThrowType(env, what + ": expected an array of bytes");
            Napi::Uint8Array b = e.As<Napi::Uint8Array>();
            return std::string(reinterpret_cast<const char*>(b.Data()), b.ByteLength());
          });
          std::vector<const void*> ptrs;
          std::vector<size_t> lens;
          for (const std::string& x : xs) {
            ptrs.push_back(x.data());
            lens.push_back(x.size());
          }
          TF.TF_SetAttrStringList(desc, n, ptrs.data(), lens.data(), static_cast<int>(xs.size()));
        } else if (kind == "list(shape)") {
          // An element is null (unknown rank) or an array of dimensions (-1 = unknown).
          std::vector<std::pair<bool, std::vector<int64_t>>> shapes = each([&](Napi::Value e) {
            if (e.IsNull()) return std::make_pair(false, std::vector<int64_t>());
            return std::make_pair(true, ToDims(env, e, what, true));
          });
          std::vector<const int64_t*> ptrs;
          std::vector<int> ranks;
          for (const auto& [known, dims] : shapes) {
            ptrs.push_back(known ? dims.data() : nullptr);
            ranks.push_back(known ? static_cast<int>(dims.size()) : -1);
          }
          TF.TF_SetAttrShapeList(desc, n, ptrs.data(), ranks.data(),
                                 static_cast<int>(shapes.size()));
        } else if (kind == "list(tensor)") {
          Napi::Array l = list();
          std::vector<TF_Tensor*> ts;
          for (uint32_t j = 0; j < l.Length(); j++) {
            tensors.push_back(TensorFromJs(env, l.Get(j), what));
            ts.push_back(tensors.back().get());
          }
          StatusPtr s = NewStatus();
          TF.TF_SetAttrTensorList(desc, n, ts.data(), static_cast<int>(ts.size()), s.get());
          ThrowIfError(env, s.get());
        } else {
          ThrowType(env, what + ": unknown attr kind '" + kind + "'");
        }
      }
    }
  } catch (...) {
    // Finish the description so TF frees it, with an attr no op declares: node validation then
    // fails and nothing is added to the graph. Any exception (std::bad_alloc too) is rethrown.
    TF.TF_SetAttrBool(desc, "tf_monitored_aborted_description", 1);
    StatusPtr s = NewStatus();
    TF.TF_FinishOperation(desc, s.get());
    throw;
  }
  StatusPtr status = NewStatus();
  TF_Operation* op = TF.TF_FinishOperation(desc, status.get());
  ThrowIfError(env, status.get());
  return Napi::String::New(env, TF.TF_OperationName(op));
}

// addGradients(prefix, ys: ["op:i"], xs: ["op:i"], gradYs: ["op:i"] | null) → ["op:i" | null] per
// x: TF's C++ gradient registry (TF_AddGradientsWithPrefix) adds ops under `prefix/`, which must
// not be in use yet. TF refuses an x the ys do not reach (lib/ops/gradients.ts leaves those out);
// null where TF returns no output. The C API calls the initial gradients "dx" and the results "dy";
// here they are gradYs and the result.
Napi::Value Graph::AddGradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string prefix = PathArg(info, 0, "prefix");
  auto outputs = [&](const Napi::Value& v, const char* what) {
    if (!v.IsArray()) ThrowType(env, std::string(what) + " must be an array of tensor names");
    Napi::Array a = v.As<Napi::Array>();
    std::vector<TF_Output> out;
    out.reserve(a.Length());
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value e = a.Get(i);
      if (!e.IsString()) ThrowType(env, std::string(what) + " must be an array of tensor names");
      out.push_back(OutputByName(env, e.As<Napi::String>().Utf8Value()));
    }
    return out;
  };
  std::vector<TF_Output> ys = outputs(info[1], "ys");
  std::vector<TF_Output> xs = outputs(info[2], "xs");
  std::vector<TF_Output> gradYs;
  bool haveGradYs = info.Length() > 3 && !info[3].IsNull() && !info[3].IsUndefined();
  if (haveGradYs) {
    gradYs = outputs(info[3], "gradYs");
    if (gradYs.size() != ys.size()) ThrowType(env, "gradYs must have one tensor per y");
  }
  if (ys.empty()) ThrowType(env, "ys must not be empty");
  std::vector<TF_Output> dxs(xs.size(), TF_Output{nullptr, 0});
  StatusPtr status = NewStatus();
  TF.TF_AddGradientsWithPrefix(state_->graph, prefix.c_str(), ys.data(),
                               static_cast<int>(ys.size()), xs.data(), static_cast<int>(xs.size()),
                               haveGradYs ? gradYs.data() : nullptr, status.get(), dxs.data());
  ThrowIfError(env, status.get());
  Napi::Array result = Napi::Array::New(env, xs.size());
  for (size_t i = 0; i < dxs.size(); i++) {
    if (!dxs[i].oper)
      result.Set(i, env.Null());
    else
      result.Set(
          i, std::string(TF.TF_OperationName(dxs[i].oper)) + ":" + std::to_string(dxs[i].index));
  }
  return result;
}

void InitGraphFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("tfVersion", Napi::Function::New(env, TfVersion, "tfVersion"));
  exports.Set("allOpList", Napi::Function::New(env, AllOpList, "allOpList"));
}

}  // namespace tfm
