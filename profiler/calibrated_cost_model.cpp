#include "profiler/calibrated_cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace moesim::profiler {

namespace {

using models::CostEstimate;
using models::GpuSpec;
using models::Op;

// Distance between two GPUs for picking the nearest calibrated one: log ratios of the datasheet
// peak (for the op's format) and of HBM bandwidth.
double gpu_distance(const GpuSpec& a, const GpuSpec& b, models::DType dtype) {
  auto log_ratio = [](double x, double y) { return x > 0 && y > 0 ? std::fabs(std::log(x / y)) : 10.0; };
  return log_ratio(models::peak_flops_for(a, dtype), models::peak_flops_for(b, dtype)) +
         log_ratio(a.hbm_bw_bytes_per_s, b.hbm_bw_bytes_per_s);
}

}  // namespace

Result<CalibratedCostModel> CalibratedCostModel::make(const std::vector<CalibrationSource>& sources,
                                                      DefaultEfficiencyModel defaults) {
  std::vector<Error> errors;
  for (const CalibrationSource& s : sources) {
    for (size_t i = 0; i < s.table.entries.size(); ++i) {
      const traces::CalibrationEntry& e = s.table.entries[i];
      Result<Op> op = make_op(e.op, e.dtype, e.shape, s.origin + ": entries[" + std::to_string(i) + "].shape");
      if (!op.ok()) errors.insert(errors.end(), op.errors().begin(), op.errors().end());
      else if (datasheet_roofline_s(op.value(), s.gpu) <= 0) {
        errors.push_back(bad_input(s.origin + ": entries[" + std::to_string(i) + "]: GPU '" + s.gpu.name +
                                   "' has no peak for dtype " + std::string(models::to_string(e.dtype))));
      }
    }
  }
  if (!errors.empty()) return errors;
  return CalibratedCostModel(sources, defaults);
}

CalibratedCostModel::CalibratedCostModel(const std::vector<CalibrationSource>& sources,
                                         DefaultEfficiencyModel defaults)
    : defaults_(defaults) {
  // Group entries by (GPU, kind, dtype), in first-seen order.
  std::map<std::tuple<std::string, int, int>, size_t> index;
  std::vector<std::pair<GpuSpec, std::vector<Point>>> groups;
  std::vector<FamilyFit> heads;
  for (const CalibrationSource& s : sources) {
    for (const traces::CalibrationEntry& e : s.table.entries) {
      Result<Op> op = make_op(e.op, e.dtype, e.shape, s.origin);
      if (!op.ok()) continue;
      const double tau = datasheet_roofline_s(op.value(), s.gpu);
      if (tau <= 0 || e.median_us <= 0) continue;
      auto key = std::make_tuple(s.gpu.name, static_cast<int>(e.op), static_cast<int>(e.dtype));
      auto [it, inserted] = index.try_emplace(key, groups.size());
      if (inserted) {
        groups.push_back({s.gpu, {}});
        FamilyFit f;
        f.gpu = s.gpu.name;
        f.gpu_family = s.gpu.family;
        f.kind = e.op;
        f.dtype = e.dtype;
        heads.push_back(f);
      }
      Point p;
      p.shape = shape_params_of(op.value());
      p.curve_point = {tau, e.median_us * 1e-6};
      p.spread_rel = e.spread_us / e.median_us;
      groups[it->second].second.push_back(p);
    }
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    std::vector<CurvePoint> pts;
    for (const Point& p : groups[g].second) pts.push_back(p.curve_point);
    FamilyFit fit = heads[g];
    fit.points = static_cast<int>(pts.size());
    fit.interpolation_loo = interpolation_loo_errors(pts);
    const EfficiencyCurve prior = defaults_.curve(fit.kind);
    fit.curve = fit_efficiency_curve(pts, prior);
    fit.curve_loo = efficiency_curve_loo_errors(pts, prior);
    families_.push_back(Family{fit, groups[g].first, groups[g].second, LogInterpolator(pts)});
    fits_.push_back(fit);
  }
}

const CalibratedCostModel::Family* CalibratedCostModel::own_family(const Op& op, const GpuSpec& gpu) const {
  for (const Family& f : families_) {
    if (f.fit.gpu == gpu.name && f.fit.kind == op.kind && f.fit.dtype == op.dtype) return &f;
  }
  return nullptr;
}

const CalibratedCostModel::Family* CalibratedCostModel::nearest_family(const Op& op, const GpuSpec& gpu) const {
  const Family* best = nullptr;
  double best_distance = 0;
  for (const Family& f : families_) {
    if (f.fit.kind != op.kind || f.fit.dtype != op.dtype || f.fit.gpu == gpu.name) continue;
    if (gpu.family.empty() || f.fit.gpu_family != gpu.family) continue;
    const double d = gpu_distance(f.gpu, gpu, op.dtype);
    if (best == nullptr || d < best_distance || (d == best_distance && f.fit.gpu < best->fit.gpu)) {
      best = &f;
      best_distance = d;
    }
  }
  return best;
}

CostPrediction CalibratedCostModel::predict(const Op& op, const GpuSpec& gpu) const {
  CostPrediction p;
  p.tau_s = datasheet_roofline_s(op, gpu);
  if (const Family* f = own_family(op, gpu)) {
    p.points = f->fit.points;
    p.calibration_gpu = f->fit.gpu;
    p.estimate.calibrated = true;
    const ShapeParams shape = shape_params_of(op);
    for (const Point& pt : f->points) {
      if (pt.shape == shape && !shape.empty()) {
        // The interpolant passes through every measurement, except where measurements contradict
        // monotonicity and were pooled; using it keeps predictions monotone at measured shapes too.
        p.kernel_s = f->interpolator.time_s(p.tau_s);
        p.estimate.source = "measured";
        p.estimate.error_estimate = std::max(pt.spread_rel, 0.01);
        return finish(p, op, gpu);
      }
    }
    p.kernel_s = f->interpolator.time_s(p.tau_s);
    p.extrapolation_log2 = f->interpolator.extrapolation_log2(p.tau_s);
    p.estimate.source = "interpolated";
    const double base = f->fit.interpolation_loo.empty() ? kInterpolationPriorError : rms(f->fit.interpolation_loo);
    p.estimate.error_estimate = base + kErrorPerOctave * p.extrapolation_log2;
    return finish(p, op, gpu);
  }
  if (const Family* f = nearest_family(op, gpu)) {
    p.points = f->fit.points;
    p.calibration_gpu = f->fit.gpu;
    p.estimate.calibrated = true;
    p.kernel_s = f->fit.curve.kernel_time_s(p.tau_s);
    p.extrapolation_log2 = f->interpolator.extrapolation_log2(datasheet_roofline_s(op, f->gpu));
    p.estimate.source = "scaled from " + f->fit.gpu;
    const double fit_error = f->fit.curve_loo.empty() ? kInterpolationPriorError : rms(f->fit.curve_loo);
    p.estimate.error_estimate = std::hypot(fit_error, kCrossGpuError) + kErrorPerOctave * p.extrapolation_log2;
    return finish(p, op, gpu);
  }
  p.kernel_s = defaults_.curve(op.kind).kernel_time_s(p.tau_s);
  p.estimate.source = "roofline";
  p.estimate.calibrated = false;
  p.estimate.error_estimate = defaults_.roofline.relative_error;
  return finish(p, op, gpu);
}

CostPrediction CalibratedCostModel::finish(CostPrediction p, const Op& op, const GpuSpec& gpu) const {
  p.floor_s = ceiling_roofline_s(op, gpu);
  p.kernel_s = std::max(p.kernel_s, p.floor_s);
  p.launch_overhead_s = defaults_.roofline.launch_overhead_s;
  p.estimate.time_s = p.kernel_s + p.launch_overhead_s;
  p.estimate.error_estimate = std::min(p.estimate.error_estimate, 1.0);
  return p;
}

}  // namespace moesim::profiler
