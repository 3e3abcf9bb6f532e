#include "src/components/module.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <map>
#include <mutex>
#include <tuple>

#include "src/core/files.h"
#include "src/core/sha256.h"

namespace edgepipe::components {

namespace {

// Checks one export's ABI fields against this build's.
Status CheckAbi(const ModuleExport& e, const std::string& path, const char* symbol) {
  if (e.abi_version == kModuleAbiVersion && e.fn_args_bytes == sizeof(FnArgs) &&
      e.pipeline_args_bytes == sizeof(PipelineArgs) && e.status_bytes == sizeof(Status)) {
    return Status::OK();
  }
  return Status::InvalidArgument(
      path + ": " + symbol + " was built for module ABI " + std::to_string(e.abi_version) +
      " (FnArgs " + std::to_string(e.fn_args_bytes) + " bytes, PipelineArgs " +
      std::to_string(e.pipeline_args_bytes) + " bytes), this edgepipe has ABI " +
      std::to_string(kModuleAbiVersion) + " (FnArgs " + std::to_string(sizeof(FnArgs)) +
      " bytes, PipelineArgs " + std::to_string(sizeof(PipelineArgs)) +
      " bytes): rebuild the module against this edgepipe's headers");
}

std::string Stem(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (name.starts_with("lib")) name = name.substr(3);
  return name.substr(0, name.find('.'));
}

// SHA-256 of the file at `path`, remembered for the process while the file
// keeps its device, inode, size and modification time: a pipeline names its
// module file once per component (Transform and each Trainer), and the
// CLI loads the pipeline file too; each is hashed once. A rebuilt file (new
// inode or mtime) is hashed again.
StatusOr<std::string> FileDigest(const std::string& path) {
  struct ::stat st {};
  if (::stat(path.c_str(), &st) != 0) return Sha256FileHex(path);  // its error names the file
  using Key = std::tuple<std::string, dev_t, ino_t, off_t, int64_t, int64_t>;
  const Key key{path, st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
  static std::mutex mu;
  static std::map<Key, std::string>* digests = new std::map<Key, std::string>;  // never freed
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = digests->find(key);
    if (it != digests->end()) return it->second;
  }
  ASSIGN_OR_RETURN(std::string digest, Sha256FileHex(path));
  std::lock_guard<std::mutex> lock(mu);
  (*digests)[key] = digest;
  return digest;
}

}  // namespace

StatusOr<LoadedModule> LoadModuleFile(const std::string& path) {
  if (!PathExists(path)) return Status::NotFound(path + ": module file does not exist");
  if (IsDirectory(path)) {
    return Status::InvalidArgument(path + ": is a folder, expected a module file (.so)");
  }
  // The bytes enter the cache key: read before loading, so what is hashed is
  // what is run (a rebuild in between would show as a new fingerprint next run).
  ASSIGN_OR_RETURN(std::string digest, FileDigest(path));
  // dlopen needs a path with a slash to avoid searching LD_LIBRARY_PATH.
  const std::string open_path = path.find('/') == std::string::npos ? "./" + path : path;
  ::dlerror();
  void* handle = ::dlopen(open_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return Status::InvalidArgument(
        path + ": cannot load module: " + (why != nullptr ? why : "unknown dlopen error"));
  }
  // Never dlclose'd: components and pipelines keep its function pointers.
  LoadedModule out;
  out.path = path;
  out.module.name = Stem(path);
  out.module.fingerprint = "sha256:" + digest;
  bool any = false;
  for (const char* symbol : {"edgepipe_run_fn", "edgepipe_preprocessing_fn", "edgepipe_pipeline"}) {
    const auto* e = static_cast<const ModuleExport*>(::dlsym(handle, symbol));
    if (e == nullptr) continue;
    RETURN_IF_ERROR(CheckAbi(*e, path, symbol));
    any = true;
    if (e->run_fn != nullptr) {
      out.module.run_fn = e->run_fn;
      out.module.data_parallel = (e->flags & kModuleExportDataParallel) != 0;
    }
    if (e->preprocessing_fn != nullptr) out.module.preprocessing_fn = e->preprocessing_fn;
    if (e->pipeline_fn != nullptr) out.pipeline_fn = e->pipeline_fn;
  }
  if (!any) {
    return Status::InvalidArgument(
        path +
        ": exports none of edgepipe_run_fn, edgepipe_preprocessing_fn, edgepipe_pipeline "
        "(define them with EDGEPIPE_RUN_FN, EDGEPIPE_PREPROCESSING_FN or EDGEPIPE_PIPELINE "
        "from src/components/module.h)");
  }
  return out;
}

StatusOr<UserModule> ResolveUserModule(const std::string& component_id, const UserModule& module,
                                       const std::string& module_file, ModuleFunction needs) {
  const bool run_fn = needs == ModuleFunction::kRunFn;
  const char* function = run_fn ? "run_fn" : "preprocessing_fn";
  const char* macro = run_fn ? "EDGEPIPE_RUN_FN" : "EDGEPIPE_PREPROCESSING_FN";
  auto has = [&](const UserModule& m) {
    return run_fn ? static_cast<bool>(m.run_fn) : static_cast<bool>(m.preprocessing_fn);
  };
  if (module_file.empty()) {
    if (!has(module)) {
      return Status::InvalidArgument(component_id + ": module '" + module.name + "' defines no " +
                                     function);
    }
    return module;
  }
  if (has(module)) {
    return Status::InvalidArgument(component_id + ": give module or module_file, not both");
  }
  ASSIGN_OR_RETURN(LoadedModule loaded, LoadModuleFile(module_file));
  if (!has(loaded.module)) {
    return Status::InvalidArgument(component_id + ": " + module_file + ": defines no " + function +
                                   " (" + macro + ")");
  }
  return std::move(loaded.module);
}

}  // namespace edgepipe::components
