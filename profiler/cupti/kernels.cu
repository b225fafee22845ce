// The harness's own CUDA kernels: the memory-bound ops it times (RMSNorm, softmax, router top-k,
// casts, fp8 quantisation) and the fp64 references every timed op is checked against. Written for
// correctness first: one block per row, grid-stride loops, no tensor cores. One file, sm_90 only,
// to keep nvcc time in CI short.
#include "profiler/cupti/kernels.hpp"

#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include <cfloat>

namespace moesim::profiler::cupti::kernels {
namespace {

constexpr int kThreads = 256;
constexpr float kFp8Max = 448.0f;  // largest finite e4m3 value

__device__ uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

__device__ float uniform(uint64_t seed, int64_t i, float scale) {
  const uint64_t bits = splitmix64(seed * 0x2545F4914F6CDD1Dull + static_cast<uint64_t>(i));
  const float u = static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);  // [0, 1)
  return (2.0f * u - 1.0f) * scale;
}

// Block-wide reductions over kThreads threads; every thread gets the result.
template <class T, class Op>
__device__ T block_reduce(T value, Op op) {
  __shared__ T partial[kThreads / 32];
  for (int offset = 16; offset > 0; offset /= 2) value = op(value, __shfl_xor_sync(0xffffffffu, value, offset));
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();  // partial[] may still be read by a previous call
  if (lane == 0) partial[warp] = value;
  __syncthreads();
  T total = partial[0];
  for (int w = 1; w < kThreads / 32; ++w) total = op(total, partial[w]);
  return total;
}

struct Sum {
  template <class T>
  __device__ T operator()(T a, T b) const { return a + b; }
};
struct Max {
  template <class T>
  __device__ T operator()(T a, T b) const { return a > b ? a : b; }
};

int blocks_for(int64_t count) {
  const int64_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 65535 * 16 ? blocks : 65535 * 16);
}

__global__ void fill_bf16_kernel(__nv_bfloat16* out, int64_t count, uint64_t seed, float scale) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = __float2bfloat16(uniform(seed, i, scale));
  }
}

__global__ void fill_f32_kernel(float* out, int64_t count, uint64_t seed, float scale) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = uniform(seed, i, scale);
  }
}

__global__ void rmsnorm_kernel(const __nv_bfloat16* x, const __nv_bfloat16* w, __nv_bfloat16* y, int cols,
                               float eps) {
  const __nv_bfloat16* row = x + blockIdx.x * int64_t{cols};
  float sum = 0;
  for (int c = threadIdx.x; c < cols; c += kThreads) {
    const float v = __bfloat162float(row[c]);
    sum += v * v;
  }
  sum = block_reduce(sum, Sum());
  const float inv = rsqrtf(sum / cols + eps);
  for (int c = threadIdx.x; c < cols; c += kThreads) {
    y[blockIdx.x * int64_t{cols} + c] = __float2bfloat16(__bfloat162float(row[c]) * inv * __bfloat162float(w[c]));
  }
}

__global__ void softmax_kernel(__nv_bfloat16* data, int64_t cols, int64_t ld, float scale,
                               int64_t queries_per_head, int64_t causal_offset) {
  __nv_bfloat16* row = data + blockIdx.x * ld;
  int64_t valid = cols;
  if (causal_offset >= 0) {
    const int64_t q = static_cast<int64_t>(blockIdx.x) % queries_per_head;
    valid = q + causal_offset + 1 < cols ? q + causal_offset + 1 : cols;
  }
  float peak = -FLT_MAX;
  for (int64_t c = threadIdx.x; c < valid; c += kThreads) peak = fmaxf(peak, __bfloat162float(row[c]) * scale);
  peak = block_reduce(peak, Max());
  float sum = 0;
  for (int64_t c = threadIdx.x; c < valid; c += kThreads) sum += __expf(__bfloat162float(row[c]) * scale - peak);
  sum = block_reduce(sum, Sum());
  const float inv = 1.0f / sum;
  for (int64_t c = threadIdx.x; c < cols; c += kThreads) {
    const float p = c < valid ? __expf(__bfloat162float(row[c]) * scale - peak) * inv : 0.0f;
    row[c] = __float2bfloat16(p);
  }
}

// One thread per token: correctness first; 256 experts fit in local memory.
constexpr int kMaxExperts = 256;
constexpr int kMaxTopk = 16;

__global__ void router_kernel(const float* logits, const float* bias, int64_t tokens, int experts, int groups,
                              int topk_groups, int topk, float scaling, int* ids, float* weights) {
  const int64_t t = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (t >= tokens) return;
  float score[kMaxExperts], choice[kMaxExperts];
  for (int e = 0; e < experts; ++e) {
    score[e] = 1.0f / (1.0f + __expf(-logits[t * experts + e]));
    choice[e] = score[e] + bias[e];
  }
  const int per_group = experts / groups;
  float group_score[32];
  for (int g = 0; g < groups; ++g) {
    float best = -FLT_MAX, second = -FLT_MAX;
    for (int e = g * per_group; e < (g + 1) * per_group; ++e) {
      if (choice[e] > best) second = best, best = choice[e];
      else if (choice[e] > second) second = choice[e];
    }
    group_score[g] = best + second;
  }
  uint32_t allowed = 0;
  for (int i = 0; i < topk_groups; ++i) {
    int pick = -1;
    for (int g = 0; g < groups; ++g) {
      if (!(allowed >> g & 1u) && (pick < 0 || group_score[g] > group_score[pick])) pick = g;
    }
    allowed |= 1u << pick;
  }
  int chosen[kMaxTopk];
  float total = 0;
  for (int i = 0; i < topk; ++i) {
    int pick = -1;
    for (int e = 0; e < experts; ++e) {
      if (!(allowed >> (e / per_group) & 1u)) continue;
      bool taken = false;
      for (int j = 0; j < i; ++j) taken |= chosen[j] == e;
      if (!taken && (pick < 0 || choice[e] > choice[pick])) pick = e;
    }
    chosen[i] = pick;
    total += score[pick];
  }
  for (int i = 0; i < topk; ++i) {
    ids[t * topk + i] = chosen[i];
    weights[t * topk + i] = score[chosen[i]] / total * scaling;
  }
}

__global__ void cast_kernel(const float* in, __nv_bfloat16* out, int64_t count) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = __float2bfloat16(in[i]);
  }
}

__device__ float scale_for(float amax) { return amax > 0 ? amax / kFp8Max : 1.0f; }

// One warp per 128-element block of one row; 4 elements per lane.
__global__ void quantize_rowblock_kernel(const __nv_bfloat16* in, __nv_fp8_e4m3* out, float* scales,
                                         int64_t rows, int64_t cols, int order) {
  const int64_t blocks_per_row = cols / 128;
  const int64_t warp = (blockIdx.x * int64_t{blockDim.x} + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (warp >= rows * blocks_per_row) return;  // whole warps exit together
  const int64_t r = warp / blocks_per_row, b = warp % blocks_per_row;
  const int64_t base = r * cols + b * 128 + lane * 4;
  float v[4], amax = 0;
  for (int i = 0; i < 4; ++i) v[i] = __bfloat162float(in[base + i]), amax = fmaxf(amax, fabsf(v[i]));
  for (int offset = 16; offset > 0; offset /= 2) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, offset));
  const float s = scale_for(amax);
  for (int i = 0; i < 4; ++i) out[base + i] = __nv_fp8_e4m3(v[i] / s);
  if (lane == 0) scales[order == 0 ? b * rows + r : r * blocks_per_row + b] = s;
}

// One block per 128x128 tile.
__global__ void quantize_block_kernel(const __nv_bfloat16* in, __nv_fp8_e4m3* out, float* scales, int64_t rows,
                                      int64_t cols, int order) {
  const int64_t tiles_per_row = cols / 128;
  const int64_t tr = blockIdx.x / tiles_per_row, tc = blockIdx.x % tiles_per_row;
  float amax = 0;
  for (int i = threadIdx.x; i < 128 * 128; i += kThreads) {
    const int64_t idx = (tr * 128 + i / 128) * cols + tc * 128 + i % 128;
    amax = fmaxf(amax, fabsf(__bfloat162float(in[idx])));
  }
  amax = block_reduce(amax, Max());
  const float s = scale_for(amax);
  for (int i = threadIdx.x; i < 128 * 128; i += kThreads) {
    const int64_t idx = (tr * 128 + i / 128) * cols + tc * 128 + i % 128;
    out[idx] = __nv_fp8_e4m3(__bfloat162float(in[idx]) / s);
  }
  if (threadIdx.x == 0) scales[order == 0 ? tc * (rows / 128) + tr : tr * tiles_per_row + tc] = s;
}

// Value (row, kk) of a K-contiguous operand with `rows` rows, dequantised.
__device__ double operand_at(const void* base, int kind, const float* scales, int order, int64_t rows,
                             int64_t k, int64_t row, int64_t kk) {
  const int64_t idx = row * k + kk;
  if (kind == static_cast<int>(RefOperand::kBf16)) {
    return __bfloat162float(static_cast<const __nv_bfloat16*>(base)[idx]);
  }
  const double v = static_cast<float>(static_cast<const __nv_fp8_e4m3*>(base)[idx]);
  int64_t s;
  if (kind == static_cast<int>(RefOperand::kFp8RowBlock)) {
    s = order == 0 ? (kk / 128) * rows + row : row * (k / 128) + kk / 128;
  } else {
    s = order == 0 ? (kk / 128) * (rows / 128) + row / 128 : (row / 128) * (k / 128) + kk / 128;
  }
  return v * scales[s];
}

int64_t scale_count(int kind, int64_t rows, int64_t k) {
  if (kind == static_cast<int>(RefOperand::kFp8RowBlock)) return rows * (k / 128);
  if (kind == static_cast<int>(RefOperand::kFp8Block)) return (rows / 128) * (k / 128);
  return 0;
}

int64_t element_size(int kind) { return kind == static_cast<int>(RefOperand::kBf16) ? 2 : 1; }

__global__ void reference_gemm_kernel(const char* a, int a_kind, const float* a_scales, const char* w, int w_kind,
                                      const float* w_scales, int a_order, int w_order, const __nv_bfloat16* c,
                                      int64_t m, int64_t n, int64_t k, const GemmSample* samples,
                                      float* reference, float* tested, int64_t a_scale_count,
                                      int64_t w_scale_count, int a_elem, int w_elem) {
  const GemmSample s = samples[blockIdx.x];
  const char* ag = a + s.group * m * k * a_elem;
  const char* wg = w + s.group * n * k * w_elem;
  const float* asg = a_scales ? a_scales + s.group * a_scale_count : nullptr;
  const float* wsg = w_scales ? w_scales + s.group * w_scale_count : nullptr;
  double sum = 0;
  for (int64_t kk = threadIdx.x; kk < k; kk += kThreads) {
    sum +=
        operand_at(ag, a_kind, asg, a_order, m, k, s.row, kk) * operand_at(wg, w_kind, wsg, w_order, n, k, s.col, kk);
  }
  sum = block_reduce(sum, Sum());
  if (threadIdx.x == 0) {
    reference[blockIdx.x] = static_cast<float>(sum);
    tested[blockIdx.x] = __bfloat162float(c[s.group * m * n + s.row * n + s.col]);
  }
}

__global__ void reference_attention_kernel(const __nv_bfloat16* q, const __nv_bfloat16* k,
                                           const __nv_bfloat16* v, const __nv_bfloat16* out,
                                           int64_t k_stride, int64_t v_stride, int qk_dim, int v_dim, float scale,
                                           const AttentionSample* samples, float* scratch, int64_t max_kv_len,
                                           float* reference, float* tested) {
  const AttentionSample s = samples[blockIdx.x];
  float* p = scratch + blockIdx.x * max_kv_len;
  double peak = -DBL_MAX;
  for (int64_t j = threadIdx.x; j < s.kv_len; j += kThreads) {
    double dot = 0;
    for (int d = 0; d < qk_dim; ++d) {
      dot += double(__bfloat162float(q[s.q_offset + d])) * __bfloat162float(k[s.k_offset + j * k_stride + d]);
    }
    p[j] = static_cast<float>(dot * scale);
    peak = fmax(peak, dot * scale);
  }
  peak = block_reduce(peak, Max());
  double sum = 0;
  for (int64_t j = threadIdx.x; j < s.kv_len; j += kThreads) {
    const double e = exp(double(p[j]) - peak);
    p[j] = static_cast<float>(e);
    sum += e;
  }
  sum = block_reduce(sum, Sum());  // its __syncthreads also publishes p[] to every thread
  for (int d = threadIdx.x; d < v_dim; d += kThreads) {
    double acc = 0;
    for (int64_t j = 0; j < s.kv_len; ++j) acc += double(p[j]) * __bfloat162float(v[s.v_offset + j * v_stride + d]);
    reference[blockIdx.x * int64_t{v_dim} + d] = static_cast<float>(acc / sum);
    tested[blockIdx.x * int64_t{v_dim} + d] = __bfloat162float(out[s.out_offset + d]);
  }
}

}  // namespace

cudaError_t fill_uniform_bf16(void* out, int64_t count, uint64_t seed, float scale, cudaStream_t stream) {
  fill_bf16_kernel<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<__nv_bfloat16*>(out), count, seed, scale);
  return cudaGetLastError();
}

cudaError_t fill_uniform_f32(float* out, int64_t count, uint64_t seed, float scale, cudaStream_t stream) {
  fill_f32_kernel<<<blocks_for(count), kThreads, 0, stream>>>(out, count, seed, scale);
  return cudaGetLastError();
}

cudaError_t rmsnorm_bf16(const void* x, const void* weight, void* y, int64_t rows, int cols, float eps,
                         cudaStream_t stream) {
  rmsnorm_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
      static_cast<const __nv_bfloat16*>(x), static_cast<const __nv_bfloat16*>(weight),
      static_cast<__nv_bfloat16*>(y), cols, eps);
  return cudaGetLastError();
}

cudaError_t softmax_rows_bf16(void* data, int64_t rows, int64_t cols, int64_t ld, float scale,
                              int64_t queries_per_head, int64_t causal_offset, cudaStream_t stream) {
  softmax_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
      static_cast<__nv_bfloat16*>(data), cols, ld, scale, queries_per_head, causal_offset);
  return cudaGetLastError();
}

cudaError_t router_topk(const float* logits, const float* bias, int64_t tokens, int experts, int groups,
                        int topk_groups, int topk, float scaling, int* ids, float* weights,
                        cudaStream_t stream) {
  if (experts > kMaxExperts || groups > 32 || topk > kMaxTopk || experts % groups != 0 || topk_groups > groups) {
    return cudaErrorInvalidValue;
  }
  const int threads = 128;
  router_kernel<<<static_cast<unsigned>((tokens + threads - 1) / threads), threads, 0, stream>>>(
      logits, bias, tokens, experts, groups, topk_groups, topk, scaling, ids, weights);
  return cudaGetLastError();
}

cudaError_t cast_f32_to_bf16(const float* in, void* out, int64_t count, cudaStream_t stream) {
  cast_kernel<<<blocks_for(count), kThreads, 0, stream>>>(in, static_cast<__nv_bfloat16*>(out), count);
  return cudaGetLastError();
}

cudaError_t quantize_fp8_rowblock(const void* in, void* out, float* scales, int64_t rows, int64_t cols,
                                  ScaleOrder order, cudaStream_t stream) {
  if (cols % 128 != 0) return cudaErrorInvalidValue;
  const int64_t warps = rows * (cols / 128);
  quantize_rowblock_kernel<<<static_cast<unsigned>((warps * 32 + kThreads - 1) / kThreads), kThreads, 0, stream>>>(
      static_cast<const __nv_bfloat16*>(in), static_cast<__nv_fp8_e4m3*>(out), scales, rows, cols,
      static_cast<int>(order));
  return cudaGetLastError();
}

cudaError_t quantize_fp8_block(const void* in, void* out, float* scales, int64_t rows, int64_t cols,
                               ScaleOrder order, cudaStream_t stream) {
  if (rows % 128 != 0 || cols % 128 != 0) return cudaErrorInvalidValue;
  quantize_block_kernel<<<static_cast<unsigned>((rows / 128) * (cols / 128)), kThreads, 0, stream>>>(
      static_cast<const __nv_bfloat16*>(in), static_cast<__nv_fp8_e4m3*>(out), scales, rows, cols,
      static_cast<int>(order));
  return cudaGetLastError();
}

cudaError_t reference_gemm(const void* a, RefOperand a_kind, const float* a_scales, const void* w,
                           RefOperand w_kind, const float* w_scales, ScaleOrder a_order,
                           ScaleOrder w_order, const void* c, int64_t m, int64_t n, int64_t k,
                           const GemmSample* samples, int count, float* reference, float* tested,
                           cudaStream_t stream) {
  const int ak = static_cast<int>(a_kind), wk = static_cast<int>(w_kind);
  reference_gemm_kernel<<<count, kThreads, 0, stream>>>(
      static_cast<const char*>(a), ak, a_scales, static_cast<const char*>(w), wk, w_scales,
      static_cast<int>(a_order), static_cast<int>(w_order), static_cast<const __nv_bfloat16*>(c), m, n, k,
      samples, reference, tested, scale_count(ak, m, k), scale_count(wk, n, k),
      static_cast<int>(element_size(ak)), static_cast<int>(element_size(wk)));
  return cudaGetLastError();
}

cudaError_t reference_attention(const void* q, const void* k, const void* v, const void* out,
                                int64_t k_token_stride, int64_t v_token_stride, int qk_dim, int v_dim,
                                float scale, const AttentionSample* samples, int count, float* scratch,
                                int64_t max_kv_len, float* reference, float* tested, cudaStream_t stream) {
  reference_attention_kernel<<<count, kThreads, 0, stream>>>(
      static_cast<const __nv_bfloat16*>(q), static_cast<const __nv_bfloat16*>(k),
      static_cast<const __nv_bfloat16*>(v), static_cast<const __nv_bfloat16*>(out), k_token_stride,
      v_token_stride, qk_dim, v_dim, scale, samples, scratch, max_kv_len, reference, tested);
  return cudaGetLastError();
}

}  // namespace moesim::profiler::cupti::kernels
