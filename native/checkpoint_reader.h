// CheckpointReader: TF's own reader of V2 checkpoints (c_api_experimental.h). Lists the variables
// of a checkpoint with dtype and shape, and reads one tensor.
#pragma once

#include <napi.h>

#include "common.h"

namespace tfm {

class CheckpointReader : public Napi::ObjectWrap<CheckpointReader> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit CheckpointReader(const Napi::CallbackInfo& info);
  ~CheckpointReader() override;

 private:
  Napi::Value Variables(const Napi::CallbackInfo& info);
  Napi::Value Tensor(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  TF_CheckpointReader* reader_ = nullptr;
};

}  // namespace tfm
