// Memory-bound cases: RMSNorm, router top-k, casts (fp32->bf16, bf16->fp8 with 1x128 block scales)
// and device-to-device copies (the copy ceiling). Checked against host references on sampled rows.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "profiler/cupti/harness_cases.hpp"
#include "profiler/cupti/kernels.hpp"

namespace moesim::profiler::cupti {
namespace {

using models::OpKind;

float bf16_to_float(uint16_t bits) {
  uint32_t word = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &word, sizeof(f));
  return f;
}

float fp8_e4m3_to_float(uint8_t bits) {
  const int sign = bits >> 7, exponent = (bits >> 3) & 0xF, mantissa = bits & 0x7;
  if (exponent == 0xF && mantissa == 0x7) return NAN;
  const float magnitude = exponent == 0 ? std::ldexp(mantissa / 8.0f, -6)
                                        : std::ldexp(1.0f + mantissa / 8.0f, exponent - 7);
  return sign ? -magnitude : magnitude;
}

// Copies `count` elements of `bytes_each` at element offset `offset` of a device buffer to the host.
template <class T>
Status copy_back(const void* device, int64_t offset, int64_t count, std::vector<T>* out, cudaStream_t stream) {
  out->resize(static_cast<size_t>(count));
  cudaError_t r = cudaMemcpyAsync(out->data(), static_cast<const T*>(device) + offset, count * sizeof(T),
                                  cudaMemcpyDeviceToHost, stream);
  if (r == cudaSuccess) r = cudaStreamSynchronize(stream);
  return cuda_check(r, "copy-back");
}

// Rows to check: the first, the last, and two in between.
std::vector<int64_t> sample_rows(int64_t rows) {
  std::vector<int64_t> out = {0, rows / 3, (2 * rows) / 3, rows - 1};
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

class RmsNormCase : public HarnessCase {
 public:
  RmsNormCase(int64_t rows, int cols) : rows_(rows), cols_(cols) {
    family_ = "norm";
    op_ = models::make_memory_op("rmsnorm", OpKind::kNorm, rows * cols, 2, 2, 4);
    tags_ = {{"rows", std::to_string(rows)}, {"cols", std::to_string(cols)}, {"dtype", "bf16"}};
  }
  size_t device_bytes() const override { return static_cast<size_t>(rows_ * cols_ * 4 + cols_ * 2); }
  Status setup(GpuContext& ctx) override {
    for (auto [buf, bytes] : {std::pair{&x_, rows_ * cols_ * 2}, {&y_, rows_ * cols_ * 2}, {&w_, int64_t{cols_} * 2}}) {
      if (Status s = buf->allocate(static_cast<size_t>(bytes)); !s.ok()) return s;
    }
    cudaError_t r = kernels::fill_uniform_bf16(x_.get(), rows_ * cols_, ctx.seed, 1.0f, ctx.stream);
    if (r == cudaSuccess) r = kernels::fill_uniform_bf16(w_.get(), cols_, ctx.seed + 1, 1.0f, ctx.stream);
    return cuda_check(r, "rmsnorm inputs");
  }
  Status launch(GpuContext& ctx) override {
    return cuda_check(kernels::rmsnorm_bf16(x_.get(), w_.get(), y_.get(), rows_, cols_, 1e-6f, ctx.stream), "rmsnorm");
  }
  Result<double> check(GpuContext& ctx) override {
    std::vector<float> reference, tested;
    std::vector<uint16_t> x, y, w;
    if (Status s = copy_back(w_.get(), 0, cols_, &w, ctx.stream); !s.ok()) return s.errors();
    for (int64_t row : sample_rows(rows_)) {
      if (Status s = copy_back(x_.get(), row * cols_, cols_, &x, ctx.stream); !s.ok()) return s.errors();
      if (Status s = copy_back(y_.get(), row * cols_, cols_, &y, ctx.stream); !s.ok()) return s.errors();
      double sum = 0;
      for (uint16_t v : x) sum += double(bf16_to_float(v)) * bf16_to_float(v);
      const double inv = 1.0 / std::sqrt(sum / cols_ + 1e-6);
      for (int c = 0; c < cols_; ++c) {
        reference.push_back(static_cast<float>(bf16_to_float(x[c]) * inv * bf16_to_float(w[c])));
        tested.push_back(bf16_to_float(y[c]));
      }
    }
    return normalized_max_error(reference, tested);
  }

 private:
  int64_t rows_;
  int cols_;
  DeviceBuffer x_, y_, w_;
};

// DeepSeek-V3 routing: 256 experts in 8 groups, top-4 groups, top-8 experts, scaling 2.5.
constexpr int kExperts = 256, kGroups = 8, kTopkGroups = 4, kTopk = 8;
constexpr float kRouteScale = 2.5f;

// The same selection on the host, in double: returns the chosen experts (in pick order) and weights.
void host_route(const float* logits, const std::vector<float>& bias, std::vector<int>* ids,
                std::vector<double>* weights) {
  std::vector<double> score(kExperts), choice(kExperts);
  for (int e = 0; e < kExperts; ++e)
    score[e] = 1.0 / (1.0 + std::exp(-double(logits[e]))), choice[e] = score[e] + bias[e];
  const int per_group = kExperts / kGroups;
  std::vector<double> group_score(kGroups);
  for (int g = 0; g < kGroups; ++g) {
    std::vector<double> v(choice.begin() + g * per_group, choice.begin() + (g + 1) * per_group);
    std::partial_sort(v.begin(), v.begin() + 2, v.end(), std::greater<double>());
    group_score[g] = v[0] + v[1];
  }
  std::vector<int> groups(kGroups);
  std::iota(groups.begin(), groups.end(), 0);
  std::stable_sort(groups.begin(), groups.end(), [&](int a, int b) { return group_score[a] > group_score[b]; });
  std::vector<int> experts;
  for (int i = 0; i < kTopkGroups; ++i) {
    for (int e = groups[i] * per_group; e < (groups[i] + 1) * per_group; ++e) experts.push_back(e);
  }
  std::stable_sort(experts.begin(), experts.end(), [&](int a, int b) { return choice[a] > choice[b]; });
  ids->assign(experts.begin(), experts.begin() + kTopk);
  double total = 0;
  for (int e : *ids) total += score[e];
  weights->clear();
  for (int e : *ids) weights->push_back(score[e] / total * kRouteScale);
}

class RouterCase : public HarnessCase {
 public:
  explicit RouterCase(int64_t tokens) : tokens_(tokens) {
    family_ = "router";
    op_ = models::make_memory_op("router.topk", OpKind::kRouter, tokens * kExperts, 4, 0, 4);
    tags_ = {
        {"tokens", std::to_string(tokens)}, {"experts", std::to_string(kExperts)}, {"topk", std::to_string(kTopk)}};
    error_bound_ = 1e-4;  // weights are fp32; a different expert choice counts as error 1
  }
  size_t device_bytes() const override {
    return static_cast<size_t>(tokens_ * (kExperts + 2 * kTopk) * 4 + kExperts * 4);
  }
  Status setup(GpuContext& ctx) override {
    for (auto [buf, bytes] : {std::pair{&logits_, tokens_ * kExperts * 4}, {&bias_, int64_t{kExperts} * 4},
                              {&ids_, tokens_ * kTopk * 4}, {&weights_, tokens_ * kTopk * 4}}) {
      if (Status s = buf->allocate(static_cast<size_t>(bytes)); !s.ok()) return s;
    }
    cudaError_t r = kernels::fill_uniform_f32(logits_.as<float>(), tokens_ * kExperts, ctx.seed, 4.0f, ctx.stream);
    if (r == cudaSuccess) r = kernels::fill_uniform_f32(bias_.as<float>(), kExperts, ctx.seed + 1, 0.1f, ctx.stream);
    return cuda_check(r, "router inputs");
  }
  Status launch(GpuContext& ctx) override {
    return cuda_check(kernels::router_topk(logits_.as<float>(), bias_.as<float>(), tokens_, kExperts, kGroups,
                                           kTopkGroups, kTopk, kRouteScale, ids_.as<int>(), weights_.as<float>(),
                                           ctx.stream), "router_topk");
  }
  Result<double> check(GpuContext& ctx) override {
    std::vector<float> bias, logits, weights;
    std::vector<int> ids;
    if (Status s = copy_back(bias_.get(), 0, kExperts, &bias, ctx.stream); !s.ok()) return s.errors();
    double worst = 0;
    for (int64_t t : sample_rows(tokens_)) {
      if (Status s = copy_back(logits_.get(), t * kExperts, kExperts, &logits, ctx.stream); !s.ok()) return s.errors();
      if (Status s = copy_back(ids_.get(), t * kTopk, kTopk, &ids, ctx.stream); !s.ok()) return s.errors();
      if (Status s = copy_back(weights_.get(), t * kTopk, kTopk, &weights, ctx.stream); !s.ok()) return s.errors();
      std::vector<int> want_ids;
      std::vector<double> want_weights;
      host_route(logits.data(), bias, &want_ids, &want_weights);
      if (ids != want_ids) return 1.0;
      for (int i = 0; i < kTopk; ++i) worst = std::max(worst, std::fabs(weights[i] - want_weights[i]) / kRouteScale);
    }
    return worst;
  }

 private:
  int64_t tokens_;
  DeviceBuffer logits_, bias_, ids_, weights_;
};

class Fp8QuantCase : public HarnessCase {
 public:
  Fp8QuantCase(int64_t rows, int64_t cols) : rows_(rows), cols_(cols) {
    family_ = "cast";
    op_ = models::make_memory_op("cast.fp8_quant", OpKind::kElementwise, rows * cols, 2, 1 + 4.0 / 128, 2);
    op_.dtype = models::DType::kFp8;  // the format written
    tags_ = {{"rows", std::to_string(rows)}, {"cols", std::to_string(cols)}, {"from", "bf16"}, {"to", "fp8"}};
    error_bound_ = 7e-2;  // e4m3 keeps 3 mantissa bits: half an ulp is 1/16 of the block maximum at most
  }
  size_t device_bytes() const override { return static_cast<size_t>(rows_ * cols_ * 3 + rows_ * (cols_ / 128) * 4); }
  Status setup(GpuContext& ctx) override {
    for (auto [buf, bytes] :
         {std::pair{&x_, rows_ * cols_ * 2}, {&q_, rows_ * cols_}, {&s_, rows_ * (cols_ / 128) * 4}}) {
      if (Status s = buf->allocate(static_cast<size_t>(bytes)); !s.ok()) return s;
    }
    return cuda_check(kernels::fill_uniform_bf16(x_.get(), rows_ * cols_, ctx.seed, 3.0f, ctx.stream), "quant input");
  }
  Status launch(GpuContext& ctx) override {
    return cuda_check(kernels::quantize_fp8_rowblock(x_.get(), q_.get(), s_.as<float>(), rows_, cols_,
                                                     kernels::ScaleOrder::kInnerMajor, ctx.stream), "quantize");
  }
  Result<double> check(GpuContext& ctx) override {
    std::vector<uint16_t> x;
    std::vector<uint8_t> q;
    std::vector<float> scales, reference, tested;
    const int64_t blocks = cols_ / 128;
    for (int64_t row : sample_rows(rows_)) {
      if (Status s = copy_back(x_.get(), row * cols_, cols_, &x, ctx.stream); !s.ok()) return s.errors();
      if (Status s = copy_back(q_.get(), row * cols_, cols_, &q, ctx.stream); !s.ok()) return s.errors();
      if (Status s = copy_back(s_.get(), row * blocks, blocks, &scales, ctx.stream); !s.ok()) return s.errors();
      for (int64_t c = 0; c < cols_; ++c) {
        reference.push_back(bf16_to_float(x[c]));
        tested.push_back(fp8_e4m3_to_float(q[c]) * scales[c / 128]);
      }
    }
    return normalized_max_error(reference, tested);
  }

 private:
  int64_t rows_, cols_;
  DeviceBuffer x_, q_, s_;
};

class CastCase : public HarnessCase {
 public:
  explicit CastCase(int64_t elements) : elements_(elements) {
    family_ = "cast";
    op_ = models::make_memory_op("cast.f32_bf16", OpKind::kElementwise, elements, 4, 2, 0);
    op_.dtype = models::DType::kFp32;
    tags_ = {{"elements", std::to_string(elements)}, {"from", "fp32"}, {"to", "bf16"}};
    error_bound_ = 0;  // round-to-nearest-even is exact to reproduce
  }
  size_t device_bytes() const override { return static_cast<size_t>(elements_ * 6); }
  Status setup(GpuContext& ctx) override {
    if (Status s = in_.allocate(static_cast<size_t>(elements_ * 4)); !s.ok()) return s;
    if (Status s = out_.allocate(static_cast<size_t>(elements_ * 2)); !s.ok()) return s;
    return cuda_check(kernels::fill_uniform_f32(in_.as<float>(), elements_, ctx.seed, 10.0f, ctx.stream), "cast input");
  }
  Status launch(GpuContext& ctx) override {
    return cuda_check(kernels::cast_f32_to_bf16(in_.as<float>(), out_.get(), elements_, ctx.stream), "cast");
  }
  Result<double> check(GpuContext& ctx) override {
    std::vector<float> in, reference, tested;
    std::vector<uint16_t> out;
    const int64_t chunk = std::min<int64_t>(elements_, 4096);
    for (int64_t at : sample_rows(elements_ / chunk)) {
      if (Status s = copy_back(in_.get(), at * chunk, chunk, &in, ctx.stream); !s.ok()) return s.errors();
      if (Status s = copy_back(out_.get(), at * chunk, chunk, &out, ctx.stream); !s.ok()) return s.errors();
      for (int64_t i = 0; i < chunk; ++i) {
        uint32_t bits;
        std::memcpy(&bits, &in[i], sizeof(bits));
        bits += 0x7FFFu + ((bits >> 16) & 1u);  // round to nearest even (inputs are finite)
        reference.push_back(bf16_to_float(static_cast<uint16_t>(bits >> 16)));
        tested.push_back(bf16_to_float(out[i]));
      }
    }
    return normalized_max_error(reference, tested);
  }

 private:
  int64_t elements_;
  DeviceBuffer in_, out_;
};

class CopyCase : public HarnessCase {
 public:
  explicit CopyCase(int64_t bytes) : bytes_(bytes) {
    family_ = "copy";
    op_ = models::make_memory_op("copy.d2d", OpKind::kElementwise, bytes, 1, 1, 0);
    tags_ = {{"bytes", std::to_string(bytes)}};
    error_bound_ = 0;  // a copy is exact
  }
  size_t device_bytes() const override { return static_cast<size_t>(2 * bytes_); }
  Status setup(GpuContext& ctx) override {
    if (Status s = src_.allocate(static_cast<size_t>(bytes_)); !s.ok()) return s;
    if (Status s = dst_.allocate(static_cast<size_t>(bytes_)); !s.ok()) return s;
    return cuda_check(kernels::fill_uniform_bf16(src_.get(), bytes_ / 2, ctx.seed, 1.0f, ctx.stream), "copy input");
  }
  Status launch(GpuContext& ctx) override {
    return cuda_check(cudaMemcpyAsync(dst_.get(), src_.get(), static_cast<size_t>(bytes_), cudaMemcpyDeviceToDevice,
                                      ctx.stream), "cudaMemcpyAsync");
  }
  Result<double> check(GpuContext& ctx) override {
    std::vector<uint8_t> a, b;
    for (int64_t at : sample_rows(bytes_ / 4096)) {
      if (Status s = copy_back(src_.get(), at * 4096, 4096, &a, ctx.stream); !s.ok()) return s.errors();
      if (Status s = copy_back(dst_.get(), at * 4096, 4096, &b, ctx.stream); !s.ok()) return s.errors();
      if (a != b) return 1.0;
    }
    return 0.0;
  }

 private:
  int64_t bytes_;
  DeviceBuffer src_, dst_;
};

std::vector<int64_t> rows_sweep(bool quick) {
  return quick ? std::vector<int64_t>{16, 4096} : std::vector<int64_t>{1, 16, 128, 1024, 4096, 16384};
}

}  // namespace

CaseList make_memory_cases(const HarnessSpec& spec) {
  CaseList cases;
  if (family_selected(spec, "norm")) {
    for (int64_t rows : rows_sweep(spec.quick)) {
      for (int cols : {7168, 1536, 512}) cases.push_back(std::make_unique<RmsNormCase>(rows, cols));
    }
  }
  if (family_selected(spec, "router")) {
    for (int64_t tokens : rows_sweep(spec.quick)) cases.push_back(std::make_unique<RouterCase>(tokens));
  }
  if (family_selected(spec, "cast")) {
    for (int64_t rows : rows_sweep(spec.quick)) {
      cases.push_back(std::make_unique<Fp8QuantCase>(rows, 7168));
      cases.push_back(std::make_unique<CastCase>(rows * 7168));
    }
  }
  if (family_selected(spec, "copy")) {
    const std::vector<int64_t> sizes = spec.quick ? std::vector<int64_t>{int64_t{16} << 20, int64_t{1} << 30}
                                                  : std::vector<int64_t>{int64_t{1} << 20, int64_t{4} << 20,
                                                                         int64_t{16} << 20, int64_t{64} << 20,
                                                                         int64_t{256} << 20, int64_t{1} << 30,
                                                                         int64_t{4} << 30};
    for (int64_t bytes : sizes) cases.push_back(std::make_unique<CopyCase>(bytes));
  }
  return cases;
}

}  // namespace moesim::profiler::cupti
