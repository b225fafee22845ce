#include "profiler/efficiency_model.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

namespace moesim::profiler {

namespace {

double op_bytes(const models::Op& op) { return op.bytes_read + op.bytes_written; }

double roofline_s(const models::Op& op, double peak_flops, double bw) {
  const double compute = is_tensor_core_op(op.kind) && peak_flops > 0 ? op.flops / peak_flops : 0.0;
  const double memory = bw > 0 ? op_bytes(op) / bw : 0.0;
  return std::max(compute, memory);
}

// Weighted least squares of t = a*tau + b with a and/or b possibly pinned.
EfficiencyCurve solve(const std::vector<CurvePoint>& pts, bool fit_a, bool fit_b, double a0, double b0) {
  const int cols = (fit_a ? 1 : 0) + (fit_b ? 1 : 0);
  Eigen::MatrixXd A(static_cast<Eigen::Index>(pts.size()), cols);
  Eigen::VectorXd y(static_cast<Eigen::Index>(pts.size()));
  for (size_t i = 0; i < pts.size(); ++i) {
    const double w = 1.0 / pts[i].time_s;  // relative error
    const Eigen::Index r = static_cast<Eigen::Index>(i);
    int c = 0;
    if (fit_a) A(r, c++) = pts[i].tau_s * w;
    if (fit_b) A(r, c++) = w;
    y(r) = (pts[i].time_s - (fit_a ? 0.0 : a0 * pts[i].tau_s) - (fit_b ? 0.0 : b0)) * w;
  }
  Eigen::VectorXd x = A.colPivHouseholderQr().solve(y);
  double a = a0, b = b0;
  int c = 0;
  if (fit_a) a = x(c++);
  if (fit_b) b = x(c++);
  EfficiencyCurve curve;
  curve.efficiency = a > 0 ? 1.0 / a : 1.0;
  curve.ramp_s = b;
  return curve;
}

double relative_sse(const std::vector<CurvePoint>& pts, const EfficiencyCurve& c) {
  double sse = 0;
  for (const CurvePoint& p : pts) {
    const double r = (c.kernel_time_s(p.tau_s) - p.time_s) / p.time_s;
    sse += r * r;
  }
  return sse;
}

bool feasible(const EfficiencyCurve& c) {
  return std::isfinite(c.efficiency) && std::isfinite(c.ramp_s) && c.efficiency > 0 && c.efficiency <= 1.0 + 1e-12 &&
         c.ramp_s >= 0;
}

}  // namespace

bool is_tensor_core_op(models::OpKind kind) {
  using models::OpKind;
  return kind == OpKind::kGemm || kind == OpKind::kGroupedGemm || kind == OpKind::kAttention ||
         kind == OpKind::kMlaDecode || kind == OpKind::kGqaDecode;
}

double datasheet_roofline_s(const models::Op& op, const models::GpuSpec& gpu) {
  return roofline_s(op, models::peak_flops_for(gpu, op.dtype), gpu.hbm_bw_bytes_per_s);
}

double ceiling_roofline_s(const models::Op& op, const models::GpuSpec& gpu) {
  double peak = models::peak_flops_for(gpu, op.dtype);
  const double bf16 = models::peak_flops_for(gpu, models::DType::kBf16);
  // The measured bf16 ceiling scales every format by the same achieved/datasheet ratio.
  if (gpu.measured_bf16_flops > 0 && bf16 > 0) peak *= std::min(1.0, gpu.measured_bf16_flops / bf16);
  const double bw =
      gpu.measured_hbm_bw_bytes_per_s > 0 ? gpu.measured_hbm_bw_bytes_per_s : gpu.hbm_bw_bytes_per_s;
  return roofline_s(op, peak, bw);
}

EfficiencyCurve DefaultEfficiencyModel::curve(models::OpKind kind) const {
  using models::OpKind;
  switch (kind) {
    case OpKind::kGemm: return {roofline.gemm, gemm_ramp_s};
    case OpKind::kGroupedGemm: return {roofline.grouped_gemm, grouped_gemm_ramp_s};
    case OpKind::kAttention:
    case OpKind::kMlaDecode:
    case OpKind::kGqaDecode: return {roofline.attention, attention_ramp_s};
    default: return {roofline.memory, memory_ramp_s};
  }
}

EfficiencyCurve fit_efficiency_curve(const std::vector<CurvePoint>& pts, const EfficiencyCurve& prior) {
  const double prior_a = 1.0 / prior.efficiency;
  if (pts.size() == 1) {
    const double a = (pts[0].time_s - prior.ramp_s) / std::max(pts[0].tau_s, 1e-30);
    EfficiencyCurve c{1.0 / std::max(a, 1.0), prior.ramp_s};
    if (a <= 0) c = {1.0, std::max(0.0, pts[0].time_s - pts[0].tau_s)};
    return c;
  }
  // Active-set over the two constraints: try the free fit, then each bound pinned, keep the best
  // feasible candidate (two parameters, so this enumeration is exact).
  std::vector<EfficiencyCurve> candidates = {solve(pts, true, true, prior_a, 0), solve(pts, false, true, 1.0, 0),
                                             solve(pts, true, false, prior_a, 0), EfficiencyCurve{1.0, 0.0}};
  EfficiencyCurve best{1.0, 0.0};
  double best_sse = relative_sse(pts, best);
  for (EfficiencyCurve& c : candidates) {
    c.efficiency = std::min(c.efficiency, 1.0);
    if (!feasible(c)) continue;
    const double sse = relative_sse(pts, c);
    if (sse < best_sse) {
      best_sse = sse;
      best = c;
    }
  }
  return best;
}

std::vector<double> efficiency_curve_loo_errors(const std::vector<CurvePoint>& pts, const EfficiencyCurve& prior) {
  std::vector<double> errors;
  if (pts.size() < 2) return errors;
  for (size_t i = 0; i < pts.size(); ++i) {
    std::vector<CurvePoint> rest;
    for (size_t j = 0; j < pts.size(); ++j) {
      if (j != i) rest.push_back(pts[j]);
    }
    const EfficiencyCurve c = fit_efficiency_curve(rest, prior);
    errors.push_back(std::fabs(c.kernel_time_s(pts[i].tau_s) - pts[i].time_s) / pts[i].time_s);
  }
  return errors;
}

}  // namespace moesim::profiler
