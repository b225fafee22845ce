// See blas_api.hpp.
#include "profiler/cupti/blas_api.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace moesim::profiler::cupti {
namespace {

BlasApi g_api;
std::string g_error;  // empty once loaded

template <class Fn>
bool resolve(void* lib, const char* name, Fn* out, std::string* error) {
  *out = reinterpret_cast<Fn>(dlsym(lib, name));
  if (*out == nullptr && error->empty()) *error = std::string("symbol ") + name + " not found";
  return *out != nullptr;
}

std::string open_all() {
  // The major version of the headers we compiled against: an older or newer library may differ in ABI.
  const std::string blas_name = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  const std::string lt_name = "libcublasLt.so." + std::to_string(CUBLAS_VER_MAJOR);
  void* lt = dlopen(lt_name.c_str(), RTLD_NOW | RTLD_GLOBAL);  // libcublas needs it loaded first
  if (lt == nullptr) return "cannot open " + lt_name + ": " + dlerror();
  void* lib = dlopen(blas_name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return "cannot open " + blas_name + ": " + dlerror();
  std::string e;
  BlasApi& a = g_api;
  resolve(lib, "cublasCreate_v2", &a.create, &e);
  resolve(lib, "cublasDestroy_v2", &a.destroy, &e);
  resolve(lib, "cublasSetStream_v2", &a.set_stream, &e);
  resolve(lib, "cublasSetWorkspace_v2", &a.set_workspace, &e);
  resolve(lib, "cublasGetStatusName", &a.status_name, &e);
  resolve(lib, "cublasGemmEx", &a.gemm_ex, &e);
  resolve(lib, "cublasGemmStridedBatchedEx", &a.gemm_strided_batched_ex, &e);
  resolve(lt, "cublasLtCreate", &a.lt_create, &e);
  resolve(lt, "cublasLtDestroy", &a.lt_destroy, &e);
  resolve(lt, "cublasLtMatmulDescCreate", &a.lt_desc_create, &e);
  resolve(lt, "cublasLtMatmulDescDestroy", &a.lt_desc_destroy, &e);
  resolve(lt, "cublasLtMatmulDescSetAttribute", &a.lt_desc_set, &e);
  resolve(lt, "cublasLtMatrixLayoutCreate", &a.lt_layout_create, &e);
  resolve(lt, "cublasLtMatrixLayoutDestroy", &a.lt_layout_destroy, &e);
  resolve(lt, "cublasLtMatmulPreferenceCreate", &a.lt_pref_create, &e);
  resolve(lt, "cublasLtMatmulPreferenceDestroy", &a.lt_pref_destroy, &e);
  resolve(lt, "cublasLtMatmulPreferenceSetAttribute", &a.lt_pref_set, &e);
  resolve(lt, "cublasLtMatmulAlgoGetHeuristic", &a.lt_heuristic, &e);
  resolve(lt, "cublasLtMatmul", &a.lt_matmul, &e);
  return e;  // the libraries stay open for the life of the process
}

}  // namespace

Result<const BlasApi*> load_blas() {
  static std::once_flag once;
  std::call_once(once, [] { g_error = open_all(); });
  if (!g_error.empty()) return Error{ErrorKind::kNoDevice, "profiling unavailable: " + g_error};
  return &g_api;
}

const BlasApi& blas() { return g_api; }

}  // namespace moesim::profiler::cupti
