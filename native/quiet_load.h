// dlopen() that applies TF_CPP_MIN_LOG_LEVEL to what libtensorflow logs while it loads.
#pragma once

namespace tfm {

// dlopen(path, flags), with stderr captured while the library's static initializers run and
// written back afterwards minus the log lines TF_CPP_MIN_LOG_LEVEL filters out.
void* DlopenFilteringLoadLogs(const char* path, int flags);

}  // namespace tfm
