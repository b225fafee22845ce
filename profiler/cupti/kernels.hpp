// Host entry points of the harness's own CUDA kernels (kernels.cu, compiled by nvcc). Plain pointers
// and cudaStream_t only, so g++-compiled code calls them without CUDA headers beyond the runtime API.
// Layouts: row-major, innermost dimension last; "bf16" and "fp8" buffers are __nv_bfloat16 and
// __nv_fp8_e4m3 passed as void*.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moesim::profiler::cupti::kernels {

// Deterministic uniform values in [-scale, scale] from (seed, index).
cudaError_t fill_uniform_bf16(void* out, int64_t count, uint64_t seed, float scale, cudaStream_t stream);
cudaError_t fill_uniform_f32(float* out, int64_t count, uint64_t seed, float scale, cudaStream_t stream);

// y[r] = x[r] / rms(x[r]) * weight, rows x cols, bf16 in and out, fp32 math.
cudaError_t rmsnorm_bf16(const void* x, const void* weight, void* y, int64_t rows, int cols, float eps,
                         cudaStream_t stream);

// Row softmax in place over bf16 rows of length `cols` (leading dimension `ld`), after multiplying by
// `scale`. Causal masking when causal_offset >= 0: in row r (query q = r % queries_per_head), columns
// > q + causal_offset get probability 0.
cudaError_t softmax_rows_bf16(void* data, int64_t rows, int64_t cols, int64_t ld, float scale,
                              int64_t queries_per_head, int64_t causal_offset, cudaStream_t stream);

// DeepSeek-V3 router: scores = sigmoid(logits) [tokens x experts]; choice by scores + bias within the
// top `topk_groups` of `groups` groups (group score = sum of its two best); weights = chosen scores
// normalised to sum 1, times `scaling`. Writes topk ids and weights per token.
cudaError_t router_topk(const float* logits, const float* bias, int64_t tokens, int experts, int groups,
                        int topk_groups, int topk, float scaling, int* ids, float* weights,
                        cudaStream_t stream);

// fp32 -> bf16.
cudaError_t cast_f32_to_bf16(const float* in, void* out, int64_t count, cudaStream_t stream);

// Where the fp32 block scales of a quantised matrix live. cuBLASLt's expected order is checked on the
// GPU (the harness tries both and keeps the one its reference agrees with), so both are supported.
//   rowblock (1x128): kOuterMajor  scales[(c / 128) * rows + r]   (rows contiguous)
//                     kInnerMajor  scales[r * (cols / 128) + c / 128]
//   block (128x128):  kOuterMajor  scales[(c / 128) * (rows / 128) + r / 128]
//                     kInnerMajor  scales[(r / 128) * (cols / 128) + c / 128]
enum class ScaleOrder : int { kOuterMajor = 0, kInnerMajor = 1 };

// Per-token 1x128 block quantisation (DeepSeek-V3 activations): bf16 [rows x cols] -> fp8 e4m3 with
// one fp32 scale (amax / 448) per 128 columns. REQUIRES: cols % 128 == 0.
cudaError_t quantize_fp8_rowblock(const void* in, void* out, float* scales, int64_t rows, int64_t cols,
                                  ScaleOrder order, cudaStream_t stream);

// 128x128 block quantisation (DeepSeek-V3 weights). REQUIRES: rows % 128 == 0 and cols % 128 == 0.
cudaError_t quantize_fp8_block(const void* in, void* out, float* scales, int64_t rows, int64_t cols,
                               ScaleOrder order, cudaStream_t stream);

// --- references (independent of cuBLAS, fp64 accumulation) --------------------------------------

// One sampled output of C[g] = A[g] (m x k) * W[g]^T (W is n x k), both K-contiguous.
struct GemmSample {
  int64_t group = 0, row = 0, col = 0;
};
// Operand encodings for reference_gemm.
enum class RefOperand : int {
  kBf16 = 0,            // plain bf16
  kFp8RowBlock = 1,     // fp8 + scales as quantize_fp8_rowblock writes them (rows = m)
  kFp8Block = 2,        // fp8 + scales as quantize_fp8_block writes them (rows = n)
};
// For each sample writes reference[s] (fp64 sum, stored fp32) and tested[s] (C's bf16 value).
// Group g's A starts at g*m*k, W at g*n*k, C at g*m*n; scales likewise per group.
cudaError_t reference_gemm(const void* a, RefOperand a_kind, const float* a_scales, const void* w,
                           RefOperand w_kind, const float* w_scales, ScaleOrder a_order,
                           ScaleOrder w_order, const void* c, int64_t m, int64_t n,
                           int64_t k, const GemmSample* samples, int count, float* reference,
                           float* tested, cudaStream_t stream);

// One sampled attention output row: the query's row, its keys/values, and where the output is.
struct AttentionSample {
  int64_t q_offset = 0;    // element offset of the query vector
  int64_t k_offset = 0;    // element offset of key 0 for this head
  int64_t v_offset = 0;    // element offset of value 0 for this head
  int64_t out_offset = 0;  // element offset of the tested output row (bf16)
  int64_t kv_len = 0;      // keys this query sees (causal: position + 1)
};
// reference[s * v_dim + d] / tested[...]: softmax(scale * q.k) . v in fp64 vs the tested bf16 output.
// `scratch` holds count * max_kv_len floats.
cudaError_t reference_attention(const void* q, const void* k, const void* v, const void* out,
                                int64_t k_token_stride, int64_t v_token_stride, int qk_dim, int v_dim,
                                float scale, const AttentionSample* samples, int count, float* scratch,
                                int64_t max_kv_len, float* reference, float* tested, cudaStream_t stream);

}  // namespace moesim::profiler::cupti::kernels
