// GEMM cases: the MLA and dense projections (one GEMM) and the MoE experts (grouped: several experts'
// GEMMs back to back), in BF16 (cuBLAS) and block-scaled FP8 (cuBLASLt). DeepSeek-V3 shapes.
#include <algorithm>
#include <random>

#include "profiler/cupti/gemm_runner.hpp"
#include "profiler/cupti/harness_cases.hpp"
#include "profiler/cupti/kernels.hpp"

namespace moesim::profiler::cupti {
namespace {

using kernels::RefOperand;
using kernels::ScaleOrder;
using models::DType;

constexpr double kBf16Bound = 2e-2;  // bf16 output rounding is 2^-8 of the largest values
constexpr double kFp8Bound = 3e-2;   // same inputs dequantised in the reference: only accumulation differs
constexpr int kSamples = 64;
constexpr int64_t kExpertsPerGpu = 8;  // 256 routed experts over EP32: the per-GPU grouped GEMM

class GemmCase : public HarnessCase {
 public:
  GemmCase(std::string family, std::string name, DType dtype, GemmShape shape) : dtype_(dtype), shape_(shape) {
    family_ = std::move(family);
    const double elem = dtype == DType::kFp8 ? 1.0 : 2.0;
    op_ = models::make_grouped_gemm(std::move(name), shape.groups, shape.m, shape.n, shape.k, dtype, elem, 2.0, true);
    op_.bytes_read = static_cast<double>(shape.groups) * (shape.m + shape.n) * static_cast<double>(shape.k) * elem;
    tags_ = {{"m", std::to_string(shape.m)}, {"n", std::to_string(shape.n)}, {"k", std::to_string(shape.k)},
             {"groups", std::to_string(shape.groups)}, {"dtype", std::string(models::to_string(dtype))}};
    error_bound_ = dtype == DType::kFp8 ? kFp8Bound : kBf16Bound;
  }

  size_t device_bytes() const override {
    const size_t g = static_cast<size_t>(shape_.groups), m = shape_.m, n = shape_.n, k = shape_.k;
    size_t bytes = g * ((m + n) * k * 2 + m * n * 2);
    if (dtype_ == DType::kFp8) bytes += g * ((m + n) * k + (m + n) * (k / 128) * 4);
    return bytes;
  }

  Status setup(GpuContext& ctx) override {
    const int64_t g = shape_.groups, m = shape_.m, n = shape_.n, k = shape_.k;
    for (auto [buf, bytes] : {std::pair{&a_, g * m * k * 2}, {&w_, g * n * k * 2}, {&c_, g * m * n * 2}}) {
      if (Status s = buf->allocate(static_cast<size_t>(bytes)); !s.ok()) return s;
    }
    if (Status s = cuda_check(kernels::fill_uniform_bf16(a_.get(), g * m * k, ctx.seed, 1.0f, ctx.stream), "fill A");
        !s.ok()) return s;
    if (Status s =
            cuda_check(kernels::fill_uniform_bf16(w_.get(), g * n * k, ctx.seed + 1, 1.0f, ctx.stream), "fill W");
        !s.ok())
      return s;
    if (dtype_ != DType::kFp8) return {};
    if (n % 128 != 0 || k % 128 != 0) {
      return infeasible("fp8 block scales need n and k to be multiples of 128, got n=" + std::to_string(n) +
                        " k=" + std::to_string(k));
    }
    for (auto [buf, bytes] : {std::pair{&a8_, g * m * k}, {&w8_, g * n * k}, {&as_, g * m * (k / 128) * 4},
                              {&ws_, g * (n / 128) * (k / 128) * 4}}) {
      if (Status s = buf->allocate(static_cast<size_t>(bytes)); !s.ok()) return s;
    }
    auto plan = Fp8BlockGemm::plan(ctx.blas_lt, m, n, k, as_.as<float>(), ws_.as<float>(), ctx.workspace_bytes);
    if (!plan.ok()) return plan.errors();
    fp8_ = std::move(plan).value();
    return quantize(ctx);
  }

  Status launch(GpuContext& ctx) override {
    if (dtype_ != DType::kFp8)
      return cublas_check(gemm_bf16(ctx.blas, shape_, a_.get(), w_.get(), c_.get()), "gemm_bf16");
    const int64_t m = shape_.m, n = shape_.n, k = shape_.k;
    for (int64_t g = 0; g < shape_.groups; ++g) {
      cublasStatus_t st = fp8_->run(a8_.as<char>() + g * m * k, as_.as<float>() + g * m * (k / 128),
                                    w8_.as<char>() + g * n * k, ws_.as<float>() + g * (n / 128) * (k / 128),
                                    c_.as<char>() + g * m * n * 2, ctx.workspace, ctx.workspace_bytes, ctx.stream);
      if (st != CUBLAS_STATUS_SUCCESS) return cublas_check(st, "cublasLtMatmul fp8");
    }
    return {};
  }

  Result<double> check(GpuContext& ctx) override {
    Result<double> err = reference_error(ctx);
    if (dtype_ != DType::kFp8 || !err.ok() || err.value() <= error_bound_) return err;
    // cuBLASLt's scale-tensor order is not pinned down by its header: try the other orders, keep
    // the first the reference agrees with, and record it on the case.
    for (auto [ao, wo] : {std::pair{ScaleOrder::kOuterMajor, ScaleOrder::kInnerMajor},
                          {ScaleOrder::kInnerMajor, ScaleOrder::kOuterMajor},
                          {ScaleOrder::kInnerMajor, ScaleOrder::kInnerMajor}}) {
      a_order_ = ao, w_order_ = wo;
      if (Status s = quantize(ctx); !s.ok()) return s.errors();
      if (Status s = launch(ctx); !s.ok()) return s.errors();
      Result<double> retry = reference_error(ctx);
      if (!retry.ok() || retry.value() <= error_bound_) return retry;
    }
    a_order_ = w_order_ = ScaleOrder::kOuterMajor;
    return err;
  }

 private:
  Status quantize(GpuContext& ctx) {
    const int64_t m = shape_.m, n = shape_.n, k = shape_.k;
    for (int64_t g = 0; g < shape_.groups; ++g) {
      cudaError_t r = kernels::quantize_fp8_rowblock(a_.as<char>() + g * m * k * 2, a8_.as<char>() + g * m * k,
                                                     as_.as<float>() + g * m * (k / 128), m, k, a_order_, ctx.stream);
      if (r == cudaSuccess) {
        r = kernels::quantize_fp8_block(w_.as<char>() + g * n * k * 2, w8_.as<char>() + g * n * k,
                                        ws_.as<float>() + g * (n / 128) * (k / 128), n, k, w_order_, ctx.stream);
      }
      if (r != cudaSuccess) return cuda_check(r, "fp8 quantisation");
    }
    tags_["scale_order"] = std::string(a_order_ == ScaleOrder::kOuterMajor ? "a_outer" : "a_inner") +
                           (w_order_ == ScaleOrder::kOuterMajor ? ",w_outer" : ",w_inner");
    return {};
  }

  Result<double> reference_error(GpuContext& ctx) {
    std::mt19937_64 rng(ctx.seed + 7);
    std::vector<kernels::GemmSample> samples(kSamples);
    for (size_t i = 0; i < samples.size(); ++i) {
      samples[i] = {static_cast<int64_t>(rng() % shape_.groups), static_cast<int64_t>(rng() % shape_.m),
                    static_cast<int64_t>(rng() % shape_.n)};
    }
    samples[0] = {shape_.groups - 1, shape_.m - 1, shape_.n - 1};  // the far corner: catches stride bugs
    DeviceBuffer d_samples, d_out;
    if (Status s = d_samples.allocate(samples.size() * sizeof(samples[0])); !s.ok()) return s.errors();
    if (Status s = d_out.allocate(samples.size() * 2 * sizeof(float)); !s.ok()) return s.errors();
    cudaMemcpyAsync(d_samples.get(), samples.data(), d_samples.bytes(), cudaMemcpyHostToDevice, ctx.stream);
    const bool fp8 = dtype_ == DType::kFp8;
    cudaError_t r = kernels::reference_gemm(
        fp8 ? a8_.get() : a_.get(), fp8 ? RefOperand::kFp8RowBlock : RefOperand::kBf16, fp8 ? as_.as<float>() : nullptr,
        fp8 ? w8_.get() : w_.get(), fp8 ? RefOperand::kFp8Block : RefOperand::kBf16, fp8 ? ws_.as<float>() : nullptr,
        a_order_, w_order_, c_.get(), shape_.m, shape_.n, shape_.k, d_samples.as<kernels::GemmSample>(), kSamples,
        d_out.as<float>(), d_out.as<float>() + kSamples, ctx.stream);
    if (Status s = cuda_check(r, "reference_gemm"); !s.ok()) return s.errors();
    std::vector<float> host(2 * kSamples);
    r = cudaMemcpyAsync(host.data(), d_out.get(), host.size() * sizeof(float), cudaMemcpyDeviceToHost, ctx.stream);
    if (r == cudaSuccess) r = cudaStreamSynchronize(ctx.stream);
    if (Status s = cuda_check(r, "reference_gemm copy-back"); !s.ok()) return s.errors();
    return normalized_max_error({host.begin(), host.begin() + kSamples}, {host.begin() + kSamples, host.end()});
  }

  DType dtype_;
  GemmShape shape_;
  DeviceBuffer a_, w_, c_, a8_, w8_, as_, ws_;
  ScaleOrder a_order_ = ScaleOrder::kOuterMajor, w_order_ = ScaleOrder::kOuterMajor;
  std::unique_ptr<Fp8BlockGemm> fp8_;
};

// DeepSeek-V3 weight GEMMs of one layer (hidden 7168): name, n (out features), k (in features).
struct WeightShape {
  const char* name;
  int64_t n, k;
};
const WeightShape kProjections[] = {
    {"q_a_proj", 1536, 7168},  {"q_b_proj", 128 * 192, 1536}, {"kv_a_proj", 576, 7168},
    {"kv_b_proj", 128 * 256, 512}, {"o_proj", 7168, 128 * 128}, {"ffn.gate_up", 2 * 18432, 7168},
    {"ffn.down", 7168, 18432}, {"shared.gate_up", 2 * 2048, 7168}, {"shared.down", 7168, 2048},
    {"router.gate", 256, 7168},
};
const WeightShape kExperts[] = {{"experts.gate_up", 2 * 2048, 7168}, {"experts.down", 7168, 2048}};

std::vector<int64_t> token_sweep(bool quick, std::vector<int64_t> quick_points) {
  if (quick) return quick_points;
  std::vector<int64_t> points;
  for (int64_t t = 1; t <= 16384; t *= 2) points.push_back(t);
  return points;
}

}  // namespace

CaseList make_gemm_cases(const HarnessSpec& spec) {
  CaseList cases;
  for (DType dtype : {DType::kBf16, DType::kFp8}) {
    const std::string dense = std::string("gemm.") + std::string(models::to_string(dtype));
    if (family_selected(spec, dense)) {
      for (int64_t t : token_sweep(spec.quick, {1, 256, 4096})) {
        for (const WeightShape& w : kProjections) {
          // The router gate stays in bf16 in FP8 models (DeepSeek-V3 keeps gating in high precision).
          if (dtype == DType::kFp8 && std::string(w.name) == "router.gate") continue;
          cases.push_back(std::make_unique<GemmCase>(dense, w.name, dtype, GemmShape{1, t, w.n, w.k}));
        }
      }
    }
    const std::string moe = std::string("moe.") + std::string(models::to_string(dtype));
    if (family_selected(spec, moe)) {
      for (int64_t t : token_sweep(spec.quick, {1, 128, 2048})) {
        for (const WeightShape& w : kExperts) {
          cases.push_back(std::make_unique<GemmCase>(moe, w.name, dtype, GemmShape{kExpertsPerGpu, t, w.n, w.k}));
        }
      }
    }
  }
  return cases;
}

}  // namespace moesim::profiler::cupti
