#include <algorithm>

#include "models/cost_model.hpp"

namespace moesim::models {

namespace {

double compute_efficiency(const RooflineEfficiency& eff, OpKind kind) {
  switch (kind) {
    case OpKind::kGemm: return eff.gemm;
    case OpKind::kGroupedGemm: return eff.grouped_gemm;
    case OpKind::kAttention:
    case OpKind::kMlaDecode:
    case OpKind::kGqaDecode: return eff.attention;
    default: return eff.gemm;
  }
}

bool is_tensor_core_op(OpKind kind) {
  return kind == OpKind::kGemm || kind == OpKind::kGroupedGemm || kind == OpKind::kAttention ||
         kind == OpKind::kMlaDecode || kind == OpKind::kGqaDecode;
}

}  // namespace

CostEstimate RooflineCostModel::op_time(const Op& op, const GpuSpec& gpu) const {
  double peak = peak_flops_for(gpu, op.dtype);
  // A measured ceiling caps the datasheet peak (scaled to the op's format by the datasheet ratio).
  if (gpu.measured_bf16_flops > 0 && peak > 0) {
    const double bf16_peak = peak_flops_for(gpu, DType::kBf16);
    if (bf16_peak > 0) peak = std::min(peak, peak * gpu.measured_bf16_flops / bf16_peak);
  }
  // Non-tensor ops (norms, elementwise) run on CUDA cores: their flops are negligible next to bytes,
  // so they are costed by memory traffic alone.
  double compute_s = 0;
  if (is_tensor_core_op(op.kind) && peak > 0) {
    compute_s = op.flops / (peak * compute_efficiency(eff_, op.kind));
  }
  const double bw =
      gpu.measured_hbm_bw_bytes_per_s > 0 ? gpu.measured_hbm_bw_bytes_per_s : gpu.hbm_bw_bytes_per_s;
  const double memory_s = bw > 0 ? (op.bytes_read + op.bytes_written) / (bw * eff_.memory) : 0;
  CostEstimate est;
  est.time_s = std::max(compute_s, memory_s) + eff_.launch_overhead_s;
  est.source = "roofline";
  est.error_estimate = eff_.relative_error;
  est.calibrated = false;
  return est;
}

}  // namespace moesim::models
