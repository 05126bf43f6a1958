// TF 2.21 logs from static initializers (the oneDNN notice of libtensorflow_framework) before it
// applies TF_CPP_MIN_LOG_LEVEL, through absl logging that is not initialised yet, which adds
// "WARNING: All log messages before absl::InitializeLog() ...". Python prints the same lines; a
// library should not. While the library loads, stderr goes to a temporary file; afterwards the
// captured text is written back with the messages below the minimum level left out. Anything
// else written meanwhile (by another thread of the process) is written back, only later.
#include "quiet_load.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tfm {
namespace {

int MinLogLevel() {
  const char* v = std::getenv("TF_CPP_MIN_LOG_LEVEL");
  return v && *v >= '0' && *v <= '9' ? std::atoi(v) : 0;
}

// An absl log line starts with its severity letter and the date: "I0000 00:00:...".
int Severity(const std::string& line) {
  if (line.size() < 6 || line[1] < '0' || line[1] > '9' || line[5] != ' ') return -1;
  switch (line[0]) {
    case 'I':
      return 0;
    case 'W':
      return 1;
    case 'E':
      return 2;
    case 'F':
      return 3;
    default:
      return -1;
  }
}

// Keeps the messages at or above the minimum level; a line that does not start a message belongs
// to the message before it (TF's cpu_feature_guard notice spans two lines).
std::string Filter(const std::string& text, int minLevel) {
  static const char kPreInit[] = "WARNING: All log messages before absl::InitializeLog()";
  std::string out;
  bool keeping = true;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    std::string line = text.substr(start, end - start);
    start = end;
    if (line.rfind(kPreInit, 0) == 0) {
      keeping = minLevel == 0;
    } else {
      int severity = Severity(line);
      if (severity >= 0) keeping = severity >= minLevel;
    }
    if (keeping) out += line;
  }
  return out;
}

}  // namespace

void* DlopenFilteringLoadLogs(const char* path, int flags) {
  const int minLevel = MinLogLevel();
  std::FILE* capture = minLevel > 0 ? std::tmpfile() : nullptr;
  const int saved = capture ? dup(STDERR_FILENO) : -1;
  if (saved < 0 || dup2(fileno(capture), STDERR_FILENO) < 0) {
    // Nothing to filter, or no way to capture: load as is.
    if (saved >= 0) close(saved);
    if (capture) std::fclose(capture);
    return dlopen(path, flags);
  }
  void* handle = dlopen(path, flags);
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string text;
  std::rewind(capture);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, capture)) > 0) text.append(buf, n);
  std::fclose(capture);
  const std::string kept = Filter(text, minLevel);
  if (!kept.empty()) {
    ssize_t ignored = write(STDERR_FILENO, kept.data(), kept.size());
    (void)ignored;
  }
  return handle;
}

}  // namespace tfm
