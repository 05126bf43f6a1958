#include "tf_api.h"

#include <dlfcn.h>

#include "quiet_load.h"

namespace tfm {
namespace {
std::mutex g_mutex;
TfApi g_api;
bool g_loaded = false;
std::string g_path;
void* g_main = nullptr;
void* g_framework = nullptr;
}  // namespace

const TfApi& Api() { return g_api; }
bool IsLoaded() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_loaded;
}
std::string LoadedPath() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_path;
}

void* LoadedSymbol(const char* name) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_loaded) return nullptr;
  void* sym = dlsym(g_main, name);
  if (!sym && g_framework) sym = dlsym(g_framework, name);
  return sym;
}

std::string Load(const std::string& frameworkPath, const std::string& mainPath) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_loaded) {
    return mainPath == g_path ? "" : "libtensorflow is already loaded from " + g_path;
  }
  const int flags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
  // The framework library first: the main library's DT_NEEDED entry for it then resolves to
  // the copy already loaded, instead of a search through RUNPATH (which may point at a
  // world-writable temporary folder, see docs/libtensorflow-facts.md#loading).
  void* framework = nullptr;
  if (!frameworkPath.empty()) {
    framework = DlopenFilteringLoadLogs(frameworkPath.c_str(), flags);
    if (!framework) return std::string("cannot open ") + frameworkPath + ": " + dlerror();
  }
  void* main = DlopenFilteringLoadLogs(mainPath.c_str(), flags);
  if (!main) {
    std::string why = std::string("cannot open ") + mainPath + ": " + dlerror();
    if (framework) dlclose(framework);
    return why;
  }
  TfApi api;
  std::string missing;
  // dlsym on the main handle also searches its dependencies (the framework library), where the
  // tensor/status/buffer half of the C API lives.
#define TFM_RESOLVE(name)                                                    \
  api.name = reinterpret_cast<decltype(&::name)>(dlsym(main, #name));        \
  if (!api.name && framework)                                                \
    api.name = reinterpret_cast<decltype(&::name)>(dlsym(framework, #name)); \
  if (!api.name && missing.empty()) missing = #name;
  TF_API_FUNCTIONS(TFM_RESOLVE)
#undef TFM_RESOLVE
  if (!missing.empty()) {
    // Not libtensorflow (or a too old one). Unloading a half-initialised TF is not safe in
    // general, but a library without the C API did not start TF's runtime: close it.
    dlclose(main);
    if (framework) dlclose(framework);
    return mainPath + " is not a usable libtensorflow: it does not export " + missing;
  }
  g_api = api;
  g_loaded = true;
  g_path = mainPath;
  g_main = main;
  g_framework = framework;
  return "";
}

std::string Preload(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mutex);
  // Never closed: TF may bind to it at any time after it loads.
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL)) return "";
  const char* why = dlerror();
  return why ? why : "dlopen failed";
}

}  // namespace tfm
