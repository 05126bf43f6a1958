// WritableFile: a file written through TF's own filesystem layer (tensorflow/c/env.h), so that a
// path works wherever TF's Env reaches (local disk, and the schemes TF has filesystems for).
//
// Used by the summary writer instead of TF's summary-writer ops: those need a TF session, and the
// first session of a process sizes TF's process-wide thread pools, so a writer opened before the
// user's session would decide the user's threads (see lib/summary/event-file.ts). Touching a file
// through Env creates no session, no device and no thread pool.
//
// Every call on one file holds the file's mutex: the async flush/close run on a pool thread and an
// exit-time synchronous flush may come while one is in flight.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>

#include "common.h"

namespace tfm {

struct WritableFileState {
  std::mutex mu;
  TF_WritableFileHandle* handle = nullptr;  // null once closed
  StatusCopy Append(const char* data, size_t n);
  StatusCopy FlushAndSync();
  StatusCopy Close();
  ~WritableFileState();
};

class WritableFile : public Napi::ObjectWrap<WritableFile> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit WritableFile(const Napi::CallbackInfo& info);

 private:
  Napi::Value Append(const Napi::CallbackInfo& info);
  Napi::Value FlushSync(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value CloseSync(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<WritableFileState> state_;
};

// fileStat(path) → { length, isDirectory } or null when TF says NOT_FOUND; createDir(path);
// nextFileId(): a process-wide counter for unique file names.
void InitFileFunctions(Napi::Env env, Napi::Object exports);

}  // namespace tfm
