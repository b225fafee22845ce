// Shared pieces of the harness cases: device memory, error mapping, error metric, family selection.
#include "profiler/cupti/harness_cases.hpp"

#include "profiler/cupti/blas_api.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace moesim::profiler::cupti {

DeviceBuffer::~DeviceBuffer() {
  if (ptr_) cudaFree(ptr_);
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (ptr_) cudaFree(ptr_);
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

Status DeviceBuffer::allocate(size_t bytes) {
  if (ptr_) cudaFree(ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
  cudaError_t r = cudaMalloc(&ptr_, std::max<size_t>(bytes, 256));
  if (r == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it so later calls do not see it
    ptr_ = nullptr;
    return infeasible("cudaMalloc of " + std::to_string(bytes) + " B: out of GPU memory");
  }
  if (r != cudaSuccess) return cuda_check(r, "cudaMalloc");
  bytes_ = bytes;
  return {};
}

Status cuda_check(cudaError_t result, const std::string& what) {
  if (result == cudaSuccess) return {};
  return Error{ErrorKind::kInternal, what + ": " + cudaGetErrorName(result) + " (" + cudaGetErrorString(result) + ")"};
}

Status cublas_check(cublasStatus_t result, const std::string& what) {
  if (result == CUBLAS_STATUS_SUCCESS) return {};
  const std::string message = what + ": " + blas().status_name(result);
  // cuBLAS declining a shape or mode on this GPU makes the case "unsupported", not the run a failure.
  if (result == CUBLAS_STATUS_NOT_SUPPORTED || result == CUBLAS_STATUS_ARCH_MISMATCH) return infeasible(message);
  return Error{ErrorKind::kInternal, message};
}

double normalized_max_error(const std::vector<float>& reference, const std::vector<float>& tested) {
  double worst = 0, scale = 0;
  for (size_t i = 0; i < reference.size() && i < tested.size(); ++i) {
    if (!std::isfinite(tested[i])) return INFINITY;
    worst = std::max(worst, std::fabs(double(tested[i]) - reference[i]));
    scale = std::max(scale, std::fabs(double(reference[i])));
  }
  return scale > 0 ? worst / scale : worst;
}

bool family_selected(const HarnessSpec& spec, const std::string& family) {
  return spec.families.empty() ||
         std::find(spec.families.begin(), spec.families.end(), family) != spec.families.end();
}

}  // namespace moesim::profiler::cupti
