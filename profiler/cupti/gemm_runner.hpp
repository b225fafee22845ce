// The harness's GEMMs, in the layout every moesim GEMM uses: C[g] (m x n) = A[g] (m x k) . W[g]^T with
// A the activations (m x k), W the weights as stored by nn.Linear (n x k), all row-major. In cuBLAS's
// column-major terms that is the "TN" problem D (n x m) = op_T(W) . A, which Hopper FP8 requires.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>

#include "models/result.hpp"
#include "profiler/cupti/kernels.hpp"

namespace moesim::profiler::cupti {

struct GemmShape {
  int64_t groups = 1, m = 0, n = 0, k = 0;
};

// BF16 in, BF16 out, FP32 accumulation: cublasGemmEx for one group, cublasGemmStridedBatchedEx
// (groups back to back in memory) for several. The handle's stream is used.
cublasStatus_t gemm_bf16(cublasHandle_t handle, const GemmShape& shape, const void* a, const void* w, void* c);

// FP8 E4M3 GEMM through cuBLASLt with DeepSeek-V3's block scales: 1x128 per token for the activations
// (VEC128_32F), 128x128 for the weights (BLK128x128_32F); BF16 out. One plan per (m, n, k).
class Fp8BlockGemm {
 public:
  // Unsupported (no heuristic result, or a cuBLASLt error) comes back as kInfeasible with the status.
  // `a_scales`/`w_scales` are representative scale buffers: the heuristic sees real, aligned pointers.
  static Result<std::unique_ptr<Fp8BlockGemm>> plan(cublasLtHandle_t handle, int64_t m, int64_t n, int64_t k,
                                                    const float* a_scales, const float* w_scales,
                                                    size_t workspace_bytes);
  ~Fp8BlockGemm();
  Fp8BlockGemm(const Fp8BlockGemm&) = delete;
  Fp8BlockGemm& operator=(const Fp8BlockGemm&) = delete;

  cublasStatus_t run(const void* a, const float* a_scales, const void* w, const float* w_scales, void* c,
                     void* workspace, size_t workspace_bytes, cudaStream_t stream);

 private:
  Fp8BlockGemm() = default;
  cublasLtHandle_t handle_ = nullptr;
  cublasLtMatmulDesc_t desc_ = nullptr;
  cublasLtMatrixLayout_t w_layout_ = nullptr, a_layout_ = nullptr, c_layout_ = nullptr;
  cublasLtMatmulAlgo_t algo_{};
};

}  // namespace moesim::profiler::cupti
