// Attention cases at DeepSeek-V3 shapes, composed from cuBLAS strided-batched BF16 GEMMs and the
// harness's softmax kernel (scores go through HBM; a fused FlashAttention/FlashMLA kernel keeps them
// on chip, so these times bound the fused ones from above and are tagged impl=cublas_composed):
//   prefill (MHA form): 128 heads, q/k 192 = 128 + 64 rope, v 128, causal: S = Q K^T, P = softmax, O = P V
//   decode (absorbed):  128 query heads over the 576-wide latent cache, values its first 512 columns
#include <algorithm>
#include <cmath>
#include <random>

#include "profiler/cupti/blas_api.hpp"
#include "profiler/cupti/harness_cases.hpp"
#include "profiler/cupti/kernels.hpp"

namespace moesim::profiler::cupti {
namespace {

using models::OpKind;

constexpr int64_t kHeads = 128;
constexpr int64_t kQkDim = 192, kVDim = 128;          // MHA form
constexpr int64_t kLatent = 576, kLatentV = 512;      // absorbed form
constexpr int kSamples = 8;
constexpr double kAttentionBound = 3e-2;              // bf16 scores and probabilities
constexpr int64_t kScoreBudgetBytes = int64_t{4} << 30;
const float kSoftmaxScale = 1.0f / std::sqrt(static_cast<float>(kQkDim));

cublasStatus_t batched(cublasHandle_t h, cublasOperation_t ta, int64_t m, int64_t n, int64_t k, const void* a,
                       int64_t lda, int64_t stride_a, const void* b, int64_t ldb, int64_t stride_b, void* c,
                       int64_t ldc, int64_t stride_c, int64_t batch) {
  const float alpha = 1.0f, beta = 0.0f;
  return blas().gemm_strided_batched_ex(
      h, ta, CUBLAS_OP_N, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), &alpha, a, CUDA_R_16BF,
      static_cast<int>(lda), stride_a, b, CUDA_R_16BF, static_cast<int>(ldb), stride_b, &beta, c, CUDA_R_16BF,
      static_cast<int>(ldc), stride_c, static_cast<int>(batch), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
}

models::Op attention_op(std::string name, OpKind kind, int64_t batch, int64_t q, int64_t kv, int64_t qk_dim,
                        int64_t v_dim, int64_t kv_heads, bool causal) {
  models::Op op;
  op.name = std::move(name);
  op.kind = kind;
  op.dtype = models::DType::kBf16;
  op.shape.batch = batch, op.shape.q_tokens = q, op.shape.kv_tokens = kv, op.shape.heads = kHeads;
  op.shape.kv_heads = kv_heads, op.shape.qk_dim = qk_dim, op.shape.v_dim = v_dim, op.shape.causal = causal;
  op.flops = 2.0 * kHeads * static_cast<double>(qk_dim + v_dim) * models::attention_pairs(batch, q, kv, causal);
  const double kv_bytes = kind == OpKind::kMlaDecode
                              ? static_cast<double>(batch * kv * qk_dim) * 2
                              : static_cast<double>(batch * kv * kv_heads * (qk_dim + v_dim)) * 2;
  op.bytes_read = kv_bytes + static_cast<double>(batch * q * kHeads * qk_dim) * 2;
  op.bytes_written = static_cast<double>(batch * q * kHeads * v_dim) * 2;
  return op;
}

// Shared by both forms: buffers, the reference check over sampled (query, head) rows.
class AttentionCase : public HarnessCase {
 protected:
  // `values` is where V lives: v_ in the MHA form, the latent cache (k_) in the absorbed form.
  Result<double> check_samples(GpuContext& ctx, const std::vector<kernels::AttentionSample>& samples,
                               const DeviceBuffer& values, int64_t k_stride, int64_t v_stride, int qk_dim,
                               int v_dim, int64_t max_kv) {
    DeviceBuffer d_samples, scratch, out;
    if (Status s = d_samples.allocate(samples.size() * sizeof(samples[0])); !s.ok()) return s.errors();
    if (Status s = scratch.allocate(samples.size() * max_kv * sizeof(float)); !s.ok()) return s.errors();
    if (Status s = out.allocate(samples.size() * v_dim * 2 * sizeof(float)); !s.ok()) return s.errors();
    cudaMemcpyAsync(d_samples.get(), samples.data(), d_samples.bytes(), cudaMemcpyHostToDevice, ctx.stream);
    const int count = static_cast<int>(samples.size());
    float* reference = out.as<float>();
    float* tested = reference + samples.size() * v_dim;
    cudaError_t r = kernels::reference_attention(q_.get(), k_.get(), values.get(), o_.get(), k_stride, v_stride, qk_dim,
                                                 v_dim, kSoftmaxScale, d_samples.as<kernels::AttentionSample>(), count,
                                                 scratch.as<float>(), max_kv, reference, tested, ctx.stream);
    std::vector<float> host(samples.size() * v_dim * 2);
    if (r == cudaSuccess) {
      r = cudaMemcpyAsync(host.data(), out.get(), host.size() * sizeof(float), cudaMemcpyDeviceToHost, ctx.stream);
    }
    if (r == cudaSuccess) r = cudaStreamSynchronize(ctx.stream);
    if (Status s = cuda_check(r, "reference_attention"); !s.ok()) return s.errors();
    const auto half = host.begin() + static_cast<int64_t>(samples.size()) * v_dim;
    return normalized_max_error({host.begin(), half}, {half, host.end()});
  }

  Status allocate_all(std::initializer_list<std::pair<DeviceBuffer*, int64_t>> buffers) {
    for (auto [buf, bytes] : buffers) {
      if (Status s = buf->allocate(static_cast<size_t>(bytes)); !s.ok()) return s;
    }
    return {};
  }

  DeviceBuffer q_, k_, v_, o_, scores_;
};

class PrefillCase : public AttentionCase {
 public:
  explicit PrefillCase(int64_t seq) : seq_(seq) {
    family_ = "attention.prefill";
    op_ = attention_op("attention.core", OpKind::kAttention, 1, seq, seq, kQkDim, kVDim, kHeads, true);
    chunk_ = kHeads;
    while (chunk_ > 1 && chunk_ * seq * seq * 2 > kScoreBudgetBytes) chunk_ /= 2;
    tags_ = {{"seq", std::to_string(seq)}, {"heads", std::to_string(kHeads)}, {"impl", "cublas_composed"},
             {"head_chunk", std::to_string(chunk_)}, {"dtype", "bf16"}};
    error_bound_ = kAttentionBound;
  }
  size_t device_bytes() const override {
    return static_cast<size_t>(seq_ * kHeads * (2 * kQkDim + 2 * kVDim) * 2 + chunk_ * seq_ * seq_ * 2);
  }
  Status setup(GpuContext& ctx) override {
    const int64_t qk = seq_ * kHeads * kQkDim, v = seq_ * kHeads * kVDim;
    if (Status s = allocate_all(
            {{&q_, qk * 2}, {&k_, qk * 2}, {&v_, v * 2}, {&o_, v * 2}, {&scores_, chunk_ * seq_ * seq_ * 2}});
        !s.ok())
      return s;
    cudaError_t r = kernels::fill_uniform_bf16(q_.get(), qk, ctx.seed, 1.0f, ctx.stream);
    if (r == cudaSuccess) r = kernels::fill_uniform_bf16(k_.get(), qk, ctx.seed + 1, 1.0f, ctx.stream);
    if (r == cudaSuccess) r = kernels::fill_uniform_bf16(v_.get(), v, ctx.seed + 2, 1.0f, ctx.stream);
    return cuda_check(r, "prefill inputs");
  }
  Status launch(GpuContext& ctx) override {
    const int64_t s = seq_, qk_ld = kHeads * kQkDim, v_ld = kHeads * kVDim;
    for (int64_t h0 = 0; h0 < kHeads; h0 += chunk_) {
      // Scores (row-major [q][kv] per head) = Q_h K_h^T; column-major view: (kv x q) = K^T-op . Q.
      cublasStatus_t st = batched(ctx.blas, CUBLAS_OP_T, s, s, kQkDim, k_.as<char>() + h0 * kQkDim * 2, qk_ld, kQkDim,
                                  q_.as<char>() + h0 * kQkDim * 2, qk_ld, kQkDim, scores_.get(), s, s * s, chunk_);
      if (st != CUBLAS_STATUS_SUCCESS) return cublas_check(st, "prefill QK^T");
      cudaError_t r = kernels::softmax_rows_bf16(scores_.get(), chunk_ * s, s, s, kSoftmaxScale, s, 0, ctx.stream);
      if (r != cudaSuccess) return cuda_check(r, "prefill softmax");
      // O_h (row-major [q][v], row stride heads*v) = P V_h; column-major: (v x q) = V . P.
      st = batched(ctx.blas, CUBLAS_OP_N, kVDim, s, s, v_.as<char>() + h0 * kVDim * 2, v_ld, kVDim, scores_.get(), s,
                   s * s, o_.as<char>() + h0 * kVDim * 2, v_ld, kVDim, chunk_);
      if (st != CUBLAS_STATUS_SUCCESS) return cublas_check(st, "prefill PV");
    }
    return {};
  }
  Result<double> check(GpuContext& ctx) override {
    std::mt19937_64 rng(ctx.seed + 11);
    std::vector<kernels::AttentionSample> samples;
    for (int i = 0; i < kSamples; ++i) {
      const int64_t q = i == 0 ? seq_ - 1 : static_cast<int64_t>(rng() % seq_);
      const int64_t h = i == 0 ? kHeads - 1 : static_cast<int64_t>(rng() % kHeads);
      samples.push_back({(q * kHeads + h) * kQkDim, h * kQkDim, h * kVDim, (q * kHeads + h) * kVDim, q + 1});
    }
    return check_samples(ctx, samples, v_, kHeads * kQkDim, kHeads * kVDim, kQkDim, kVDim, seq_);
  }

 private:
  int64_t seq_, chunk_;
};

class MlaDecodeCase : public AttentionCase {
 public:
  MlaDecodeCase(int64_t batch, int64_t context) : batch_(batch), context_(context) {
    family_ = "attention.mla_decode";
    op_ = attention_op("attention.mla_decode", OpKind::kMlaDecode, batch, 1, context, kLatent, kLatentV, 1, false);
    tags_ = {{"batch", std::to_string(batch)}, {"context", std::to_string(context)}, {"heads", std::to_string(kHeads)},
             {"impl", "cublas_composed"}, {"dtype", "bf16"}};
    error_bound_ = kAttentionBound;
  }
  size_t device_bytes() const override {
    return static_cast<size_t>(batch_ * (kHeads * (kLatent + kLatentV) + context_ * kLatent + kHeads * context_) * 2);
  }
  Status setup(GpuContext& ctx) override {
    const int64_t q = batch_ * kHeads * kLatent, cache = batch_ * context_ * kLatent;
    if (Status s = allocate_all({{&q_, q * 2}, {&k_, cache * 2}, {&o_, batch_ * kHeads * kLatentV * 2},
                                 {&scores_, batch_ * kHeads * context_ * 2}});
        !s.ok()) return s;
    cudaError_t r = kernels::fill_uniform_bf16(q_.get(), q, ctx.seed, 1.0f, ctx.stream);
    if (r == cudaSuccess) r = kernels::fill_uniform_bf16(k_.get(), cache, ctx.seed + 1, 1.0f, ctx.stream);
    return cuda_check(r, "decode inputs");
  }
  Status launch(GpuContext& ctx) override {
    const int64_t l = context_;
    // Values are the cache's first 512 columns: the same buffer with the cache's row stride.
    cublasStatus_t st = batched(ctx.blas, CUBLAS_OP_T, l, kHeads, kLatent, k_.get(), kLatent, l * kLatent, q_.get(),
                                kLatent, kHeads * kLatent, scores_.get(), l, kHeads * l, batch_);
    if (st != CUBLAS_STATUS_SUCCESS) return cublas_check(st, "decode q.cache");
    cudaError_t r = kernels::softmax_rows_bf16(scores_.get(), batch_ * kHeads, l, l, kSoftmaxScale, 1, -1, ctx.stream);
    if (r != cudaSuccess) return cuda_check(r, "decode softmax");
    st = batched(ctx.blas, CUBLAS_OP_N, kLatentV, kHeads, l, k_.get(), kLatent, l * kLatent, scores_.get(), l,
                 kHeads * l, o_.get(), kLatentV, kHeads * kLatentV, batch_);
    return cublas_check(st, "decode P.cache");
  }
  Result<double> check(GpuContext& ctx) override {
    std::mt19937_64 rng(ctx.seed + 13);
    std::vector<kernels::AttentionSample> samples;
    for (int i = 0; i < kSamples; ++i) {
      const int64_t b = i == 0 ? batch_ - 1 : static_cast<int64_t>(rng() % batch_);
      const int64_t h = i == 0 ? kHeads - 1 : static_cast<int64_t>(rng() % kHeads);
      const int64_t cache = b * context_ * kLatent;
      samples.push_back({(b * kHeads + h) * kLatent, cache, cache, (b * kHeads + h) * kLatentV, context_});
    }
    return check_samples(ctx, samples, k_, kLatent, kLatent, kLatent, kLatentV, context_);
  }

 private:
  int64_t batch_, context_;
};

}  // namespace

CaseList make_attention_cases(const HarnessSpec& spec) {
  CaseList cases;
  if (family_selected(spec, "attention.prefill")) {
    const std::vector<int64_t> seqs = spec.quick ? std::vector<int64_t>{1024, 4096}
                                                 : std::vector<int64_t>{1024, 2048, 4096, 8192, 16384};
    for (int64_t seq : seqs) cases.push_back(std::make_unique<PrefillCase>(seq));
  }
  if (family_selected(spec, "attention.mla_decode")) {
    if (spec.quick) {
      for (auto [b, l] : {std::pair<int64_t, int64_t>{1, 4096}, {64, 4096}, {128, 16384}}) {
        cases.push_back(std::make_unique<MlaDecodeCase>(b, l));
      }
    } else {
      constexpr int64_t kMaxCachedTokens = int64_t{8} << 20;  // 9.7 GB of bf16 latent cache
      for (int64_t b : {1, 8, 32, 64, 128, 256}) {
        for (int64_t l : {1024, 4096, 16384, 32768, 65536, 131072}) {
          if (b * l <= kMaxCachedTokens) cases.push_back(std::make_unique<MlaDecodeCase>(b, l));
        }
      }
    }
  }
  return cases;
}

}  // namespace moesim::profiler::cupti
