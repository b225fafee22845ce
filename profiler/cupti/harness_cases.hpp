// Internal to the harness: the GPU context cases run in, RAII device memory, and the case interface.
// Each case owns its inputs, launches the timed work, and checks its output against a reference.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/op.hpp"
#include "models/result.hpp"
#include "profiler/cupti/harness.hpp"

namespace moesim::profiler::cupti {

struct GpuContext {
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  cublasLtHandle_t blas_lt = nullptr;
  void* workspace = nullptr;  // cuBLASLt workspace
  size_t workspace_bytes = 0;
  uint64_t seed = 1;          // advanced per case so every case sees fresh inputs
};

// A cudaMalloc'd buffer, freed on destruction.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  // OOM is ErrorKind::kInfeasible (the case is skipped); other failures are kInternal.
  Status allocate(size_t bytes);
  void* get() const { return ptr_; }
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// A CUDA failure as an internal error naming what was being done.
Status cuda_check(cudaError_t result, const std::string& what);
Status cublas_check(cublasStatus_t result, const std::string& what);

// Normalised max error: max |tested - reference| / max |reference|.
double normalized_max_error(const std::vector<float>& reference, const std::vector<float>& tested);

class HarnessCase {
 public:
  virtual ~HarnessCase() = default;
  const std::string& family() const { return family_; }
  const models::Op& op() const { return op_; }
  const std::map<std::string, std::string>& tags() const { return tags_; }
  double error_bound() const { return error_bound_; }
  // Device memory the case needs, to skip what cannot fit before allocating.
  virtual size_t device_bytes() const = 0;
  // Allocates and fills inputs from ctx.seed.
  virtual Status setup(GpuContext& ctx) = 0;
  // Enqueues the timed work on ctx.stream. Must not synchronise.
  virtual Status launch(GpuContext& ctx) = 0;
  // After one launch: the normalised max error against the reference (synchronises).
  virtual Result<double> check(GpuContext& ctx) = 0;

 protected:
  std::string family_;
  models::Op op_;
  std::map<std::string, std::string> tags_;
  double error_bound_ = 2e-2;
};

using CaseList = std::vector<std::unique_ptr<HarnessCase>>;

// The sweep for the chosen families (harness_cases.cpp / harness_attention.cpp).
CaseList make_gemm_cases(const HarnessSpec& spec);
CaseList make_memory_cases(const HarnessSpec& spec);
CaseList make_attention_cases(const HarnessSpec& spec);

// True if `family` is selected by spec (empty selection = all).
bool family_selected(const HarnessSpec& spec, const std::string& family);

}  // namespace moesim::profiler::cupti
