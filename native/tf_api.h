// The libtensorflow C API, reached only through a function table filled at run time.
//
// The addon has no link-time dependency on TF: libtensorflow is dlopen()ed (framework library
// first, by real path, RTLD_DEEPBIND so TF's bundled BoringSSL does not bind to Node's OpenSSL;
// see docs/design.md decision 1). Every C function we call is listed once in TF_API_FUNCTIONS; the
// table member has the exact type of the header's declaration (decltype), so a signature change
// in TF is a compile error, not a crash.
#pragma once

#include <mutex>
#include <string>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/c_api_experimental.h"
#include "tensorflow/c/env.h"
#include "tensorflow/c/tf_tstring.h"

// One line per group of related functions reads better than the formatter's fill:
// clang-format off
#define TF_API_FUNCTIONS(X)                                                    \
  X(TF_Version)                                                                \
  X(TF_NewStatus) X(TF_DeleteStatus) X(TF_GetCode) X(TF_Message)               \
  X(TF_NewBuffer) X(TF_NewBufferFromString) X(TF_DeleteBuffer)                 \
  X(TF_AllocateTensor) X(TF_NewTensor) X(TF_DeleteTensor) X(TF_TensorType)     \
  X(TF_NumDims) X(TF_Dim) X(TF_TensorByteSize) X(TF_TensorData)                \
  X(TF_TensorElementCount) X(TF_DataTypeSize) X(TF_TensorDefaultAlignment)     \
  X(TF_StringInit) X(TF_StringCopy) X(TF_StringGetDataPointer)                 \
  X(TF_StringGetSize) X(TF_StringDealloc)                                      \
  X(TF_NewGraph) X(TF_DeleteGraph) X(TF_GraphOperationByName)                  \
  X(TF_GraphNextOperation) X(TF_GraphToGraphDef) X(TF_GraphGetTensorNumDims)   \
  X(TF_GraphGetTensorShape) X(TF_GraphImportGraphDefWithResults)               \
  X(TF_NewImportGraphDefOptions) X(TF_DeleteImportGraphDefOptions)             \
  X(TF_ImportGraphDefOptionsSetPrefix)                                         \
  X(TF_ImportGraphDefOptionsAddInputMapping)                                   \
  X(TF_ImportGraphDefOptionsSetUniquifyNames)                                  \
  X(TF_ImportGraphDefOptionsAddControlDependency)                              \
  X(TF_ImportGraphDefResultsMissingUnusedInputMappings)                        \
  X(TF_DeleteImportGraphDefResults)                                            \
  X(TF_NewOperation) X(TF_FinishOperation) X(TF_AddInput) X(TF_AddInputList)   \
  X(TF_AddControlInput) X(TF_SetDevice) X(TF_SetAttrInt) X(TF_SetAttrIntList)  \
  X(TF_SetAttrFloat) X(TF_SetAttrFloatList) X(TF_SetAttrBool)                  \
  X(TF_SetAttrBoolList) X(TF_SetAttrString) X(TF_SetAttrStringList)            \
  X(TF_SetAttrType) X(TF_SetAttrTypeList) X(TF_SetAttrShape)                   \
  X(TF_SetAttrShapeList) X(TF_SetAttrTensor) X(TF_SetAttrTensorList)           \
  X(TF_SetAttrFuncName) X(TF_SetAttrValueProto)                                \
  X(TF_OperationName) X(TF_OperationOpType) X(TF_OperationDevice)              \
  X(TF_OperationNumOutputs) X(TF_OperationOutputType) X(TF_OperationNumInputs) \
  X(TF_OperationInput) X(TF_OperationNumControlInputs)                         \
  X(TF_OperationGetControlInputs) X(TF_OperationGetAttrValueProto)             \
  X(TF_OperationToNodeDef) X(TF_AddGradientsWithPrefix)                       \
  X(TF_GetAllOpList) X(TF_GetRegisteredKernelsForOp)                          \
  X(TF_NewSessionOptions) X(TF_DeleteSessionOptions) X(TF_SetTarget)          \
  X(TF_SetConfig) X(TF_NewSession) X(TF_CloseSession) X(TF_DeleteSession)      \
  X(TF_SessionRun) X(TF_SessionListDevices) X(TF_DeleteDeviceList)             \
  X(TF_DeviceListCount) X(TF_DeviceListName) X(TF_DeviceListType)              \
  X(TF_DeviceListMemoryBytes)                                                  \
  X(TF_NewServer) X(TF_ServerStart) X(TF_ServerStop) X(TF_ServerJoin)          \
  X(TF_ServerTarget) X(TF_DeleteServer)                                        \
  X(TF_NewCheckpointReader) X(TF_DeleteCheckpointReader)                       \
  X(TF_CheckpointReaderSize) X(TF_CheckpointReaderGetVariable)                 \
  X(TF_CheckpointReaderGetVariableDataType)                                    \
  X(TF_CheckpointReaderGetVariableNumDims)                                     \
  X(TF_CheckpointReaderGetVariableShape) X(TF_CheckpointReaderGetTensor)      \
  X(TF_NewWritableFile) X(TF_AppendWritableFile) X(TF_FlushWritableFile)       \
  X(TF_SyncWritableFile) X(TF_CloseWritableFile) X(TF_FileStat) X(TF_CreateDir) \
  X(TF_DeleteFile) X(TF_DeleteDir) X(TF_DeleteRecursively) X(TF_GetChildren)                   \
  X(TF_StringStreamNext) X(TF_StringStreamDone)
// clang-format on

namespace tfm {

struct TfApi {
#define TFM_DECLARE(name) decltype(&::name) name = nullptr;
  TF_API_FUNCTIONS(TFM_DECLARE)
#undef TFM_DECLARE
};

// The process-wide table. Valid (all members non-null) once Load() returned true; never changes
// afterwards (libtensorflow cannot be unloaded safely, so it never is).
const TfApi& Api();
bool IsLoaded();
std::string LoadedPath();

// A symbol of the loaded libraries that is not in the table (looked up when first needed; null
// when neither library exports it). For the C++ functions tf_files.cc uses.
void* LoadedSymbol(const char* name);

// Opens the framework library, then the main library, both by the given real paths, and fills
// the table. Thread-safe; a second successful call with other paths is refused. Returns "" on
// success, otherwise why it failed (dlerror text or the first missing symbol).
std::string Load(const std::string& frameworkPath, const std::string& mainPath);

// Opens a library by absolute path, RTLD_GLOBAL, and keeps it for the life of the process: the
// CUDA runtime libraries of a GPU build, opened before TF so that TF's later dlopen by soname
// finds the copy already loaded (docs/gpu.md). Returns "" or dlerror's text.
std::string Preload(const std::string& path);

}  // namespace tfm

#define TF (::tfm::Api())
