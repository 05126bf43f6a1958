// Graph: owns one TF_Graph. Operations are addressed by name from JS (lib/core/graph.ts keeps the
// Operation/Output objects); a Session keeps the graph's state alive through a shared_ptr, so the
// TF_Graph is deleted only after the last session using it.
#pragma once

#include <napi.h>

#include <memory>

#include "common.h"

namespace tfm {

struct GraphState {
  TF_Graph* graph;
  GraphState() : graph(TF.TF_NewGraph()) {}
  ~GraphState() { TF.TF_DeleteGraph(graph); }
  GraphState(const GraphState&) = delete;
  GraphState& operator=(const GraphState&) = delete;
};

class Graph : public Napi::ObjectWrap<Graph> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Graph(const Napi::CallbackInfo& info);
  std::shared_ptr<GraphState> state() const { return state_; }
  static Graph* FromValue(Napi::Env env, const Napi::Value& v, const char* what);

  // Looks up "op" or "op:index"; throws a NotFound TF error naming the tensor.
  TF_Output OutputByName(Napi::Env env, const std::string& name) const;
  TF_Operation* OperationByName(Napi::Env env, const std::string& name) const;

 private:
  Napi::Value ImportGraphDef(const Napi::CallbackInfo& info);
  Napi::Value ToGraphDef(const Napi::CallbackInfo& info);
  Napi::Value HasOperation(const Napi::CallbackInfo& info);
  Napi::Value OperationInfo(const Napi::CallbackInfo& info);
  Napi::Value ListOperations(const Napi::CallbackInfo& info);
  Napi::Value OutputShape(const Napi::CallbackInfo& info);
  Napi::Value AttrValue(const Napi::CallbackInfo& info);
  Napi::Value NodeDef(const Napi::CallbackInfo& info);
  Napi::Value AddOperation(const Napi::CallbackInfo& info);
  Napi::Value AddGradients(const Napi::CallbackInfo& info);

  std::shared_ptr<GraphState> state_;
};

// Looks up "op" or "op:index" in `graph`; throws a NotFound TF error naming the tensor (also for an
// index no operation can have, e.g. "x:99999999999").
TF_Output OutputByName(Napi::Env env, TF_Graph* graph, const std::string& name);

void InitGraphFunctions(Napi::Env env, Napi::Object exports);

}  // namespace tfm
