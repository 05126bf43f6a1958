// File operations through TF's filesystem layer that tensorflow/c/env.h does not offer (reading a
// file, renaming one, asking whether a rename is atomic, listing the registered schemes), plus the
// env.h ones the package needs beyond writing (delete, delete recursively, list a directory).
//
// Used for every path with a scheme (`ram://`, `gs://`, ...), so that checkpoints, the state file,
// `.meta`, graphs and events files live where the user asked, as in Python, where every file goes
// through TF's Env. See tf_files.cc for why the C++ functions and not TF's ReadFile op.
#pragma once

#include <napi.h>

namespace tfm {

// readFile(path) → Buffer, readFileAsync(path) → Promise<Buffer>; renameFile(from, to),
// renameFileAsync(from, to) → Promise<void>; hasAtomicMove(path) → boolean;
// fileSystemSchemes() → string[]; deleteFile(path); deleteRecursively(path); getChildren(dir) →
// string[]. Errors are TF's typed errors.
void InitTfFileFunctions(Napi::Env env, Napi::Object exports);

}  // namespace tfm
