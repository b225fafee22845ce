// See gemm_runner.hpp.
#include "profiler/cupti/gemm_runner.hpp"

#include "profiler/cupti/blas_api.hpp"

namespace moesim::profiler::cupti {
namespace {

Error unsupported(const char* call, cublasStatus_t status) {
  return infeasible(std::string("cuBLASLt FP8 block-scaled GEMM unsupported: ") + call + " returned " +
                    std::to_string(static_cast<int>(status)) + " (" + blas().status_name(status) + ")");
}

}  // namespace

cublasStatus_t gemm_bf16(cublasHandle_t handle, const GemmShape& s, const void* a, const void* w, void* c) {
  const float alpha = 1.0f, beta = 0.0f;
  const int m = static_cast<int>(s.m), n = static_cast<int>(s.n), k = static_cast<int>(s.k);
  // Column-major: D (n x m, ld n) = W^T-as-stored (k x n, ld k, op T) . A-as-stored (k x m, ld k).
  if (s.groups == 1) {
    return blas().gemm_ex(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &alpha, w, CUDA_R_16BF, k, a, CUDA_R_16BF, k,
                        &beta, c, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  }
  return blas().gemm_strided_batched_ex(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &alpha, w, CUDA_R_16BF, k,
                                    s.n * s.k, a, CUDA_R_16BF, k, s.m * s.k, &beta, c, CUDA_R_16BF, n, s.m * s.n,
                                    static_cast<int>(s.groups), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
}

Result<std::unique_ptr<Fp8BlockGemm>> Fp8BlockGemm::plan(cublasLtHandle_t handle, int64_t m, int64_t n, int64_t k,
                                                         const float* a_scales, const float* w_scales,
                                                         size_t workspace_bytes) {
  std::unique_ptr<Fp8BlockGemm> g(new Fp8BlockGemm());
  g->handle_ = handle;
  cublasStatus_t st = blas().lt_desc_create(&g->desc_, CUBLAS_COMPUTE_32F, CUDA_R_32F);
  if (st != CUBLAS_STATUS_SUCCESS) return unsupported("cublasLtMatmulDescCreate", st);
  const cublasOperation_t op_t = CUBLAS_OP_T, op_n = CUBLAS_OP_N;
  // cuBLAS's A is our W (block 128x128 scales), its B our activations (1x128 scales).
  const cublasLtMatmulMatrixScale_t w_mode = CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F;
  const cublasLtMatmulMatrixScale_t a_mode = CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F;
  blas().lt_desc_set(g->desc_, CUBLASLT_MATMUL_DESC_TRANSA, &op_t, sizeof(op_t));
  blas().lt_desc_set(g->desc_, CUBLASLT_MATMUL_DESC_TRANSB, &op_n, sizeof(op_n));
  blas().lt_desc_set(g->desc_, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &w_mode, sizeof(w_mode));
  blas().lt_desc_set(g->desc_, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &a_mode, sizeof(a_mode));
  // The heuristic sees the scaled problem with real pointers; run() sets each group's own.
  blas().lt_desc_set(g->desc_, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &w_scales, sizeof(w_scales));
  blas().lt_desc_set(g->desc_, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &a_scales, sizeof(a_scales));
  if ((st = blas().lt_layout_create(&g->w_layout_, CUDA_R_8F_E4M3, k, n, k)) != CUBLAS_STATUS_SUCCESS ||
      (st = blas().lt_layout_create(&g->a_layout_, CUDA_R_8F_E4M3, k, m, k)) != CUBLAS_STATUS_SUCCESS ||
      (st = blas().lt_layout_create(&g->c_layout_, CUDA_R_16BF, n, m, n)) != CUBLAS_STATUS_SUCCESS) {
    return unsupported("cublasLtMatrixLayoutCreate", st);
  }
  cublasLtMatmulPreference_t pref = nullptr;
  if ((st = blas().lt_pref_create(&pref)) != CUBLAS_STATUS_SUCCESS) {
    return unsupported("cublasLtMatmulPreferenceCreate", st);
  }
  blas().lt_pref_set(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes,
                      sizeof(workspace_bytes));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  st = blas().lt_heuristic(handle, g->desc_, g->w_layout_, g->a_layout_, g->c_layout_, g->c_layout_,
                                      pref, 1, &result, &found);
  blas().lt_pref_destroy(pref);
  if (st != CUBLAS_STATUS_SUCCESS) return unsupported("cublasLtMatmulAlgoGetHeuristic", st);
  if (found == 0) return unsupported("cublasLtMatmulAlgoGetHeuristic (no algorithm)", CUBLAS_STATUS_NOT_SUPPORTED);
  g->algo_ = result.algo;
  return g;
}

Fp8BlockGemm::~Fp8BlockGemm() {
  if (c_layout_) blas().lt_layout_destroy(c_layout_);
  if (a_layout_) blas().lt_layout_destroy(a_layout_);
  if (w_layout_) blas().lt_layout_destroy(w_layout_);
  if (desc_) blas().lt_desc_destroy(desc_);
}

cublasStatus_t Fp8BlockGemm::run(const void* a, const float* a_scales, const void* w, const float* w_scales, void* c,
                                 void* workspace, size_t workspace_bytes, cudaStream_t stream) {
  blas().lt_desc_set(desc_, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &w_scales, sizeof(w_scales));
  blas().lt_desc_set(desc_, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &a_scales, sizeof(a_scales));
  const float alpha = 1.0f, beta = 0.0f;
  return blas().lt_matmul(handle_, desc_, &alpha, w, w_layout_, a, a_layout_, &beta, c, c_layout_, c, c_layout_,
                        &algo_, workspace, workspace_bytes, stream);
}

}  // namespace moesim::profiler::cupti
