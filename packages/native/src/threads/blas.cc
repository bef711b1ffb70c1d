#include "threads/blas.h"

#include <dlfcn.h>
#include <link.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

namespace tfbench {
namespace {

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

std::vector<std::string> loaded_objects() {
  std::vector<std::string> names;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0')
          static_cast<std::vector<std::string>*>(out)->emplace_back(info->dlpi_name);
        return 0;
      },
      &names);
  return names;
}

// The object that defines `symbol` (a dlsym through one object also finds its dependencies' symbols).
std::string defining_object(const void* symbol, const std::string& fallback);

std::string resolved(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

// A symbol of an object that is already loaded (RTLD_NOLOAD: never loads anything new).
template <typename Fn>
Fn symbol_of(const std::string& path, const char* name) {
  void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return nullptr;
  void* sym = dlsym(handle, name);
  dlclose(handle);  // only drops the reference NOLOAD added
  return reinterpret_cast<Fn>(sym);
}

std::string defining_object(const void* symbol, const std::string& fallback) {
  Dl_info where;
  if (dladdr(symbol, &where) != 0 && where.dli_fname != nullptr) return resolved(where.dli_fname);
  return fallback;
}

}  // namespace

BlasInfo loaded_blas() {
  BlasInfo info;
  for (const std::string& name : loaded_objects()) {
    const std::string path = resolved(name);
    const std::string file = path.substr(path.rfind('/') + 1);
    // OpenBLAS says how it was built (openblas_get_parallel: 0 serial, 1 pthreads, 2 OpenMP) and how many
    // threads one product would use, wherever Debian's alternatives put it.
    if (auto parallel = symbol_of<int (*)()>(path, "openblas_get_parallel")) {
      info.library = defining_object(reinterpret_cast<const void*>(parallel), path);
      info.vendor = "OpenBLAS";
      const int p = parallel();
      info.threading = p == 2 ? "openmp" : p == 1 ? "pthreads" : "serial";
      if (auto count = symbol_of<int (*)()>(path, "openblas_get_num_threads")) info.threads = count();
      if (auto config = symbol_of<char* (*)()>(path, "openblas_get_config")) info.config = config();
      return info;
    }
    if (auto count = symbol_of<int (*)()>(path, "MKL_Get_Max_Threads")) {
      info.library = defining_object(reinterpret_cast<const void*>(count), path);
      info.vendor = "MKL";
      info.threads = count();
      // libtorch links MKL's OpenMP layer and sets its count with its own (at::set_num_threads).
      info.threading = contains(path, "sequential") ? "serial" : "openmp";
      return info;
    }
    if (contains(file, "blis")) {
      info.library = path;
      info.vendor = "BLIS";
      continue;  // a later object may still be the one that says more
    }
    if (info.library.empty() && contains(file, "libblas") ) {
      // Debian's reference BLAS (netlib): single-threaded, and ~35x slower than OpenBLAS.
      info.library = path;
      info.vendor = contains(path, "/blas/") ? "reference" : "";
      info.threading = contains(path, "/blas/") ? "serial" : "";
    }
  }
  return info;
}

}  // namespace tfbench
