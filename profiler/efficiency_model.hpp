// Rooflines and efficiency curves: the parts of the cost model that need no measurement.
//
// Every op is placed on one axis, its datasheet roofline time
//     tau = max(flops / datasheet_peak(dtype), bytes / datasheet_hbm_bw)
// (flops count only for tensor-core ops). A kernel's time is then modelled as
//     kernel_s = tau / efficiency + ramp_s
// where `efficiency` is the fraction of the datasheet roofline a large kernel reaches and `ramp_s`
// the fixed cost of filling and draining the GPU (small kernels never reach the roofline). Both are
// fitted per (op kind, dtype) on measured GPUs; before any measurement the documented defaults below
// are used and every prediction says `uncalibrated`. Whatever the curve says, a kernel is never
// faster than the GPU's measured ceiling (GpuSpec::measured_*, else the datasheet peak).
#pragma once

#include <vector>

#include "models/cost_model.hpp"
#include "models/hardware_spec.hpp"
#include "models/op.hpp"

namespace moesim::profiler {

// tau: the datasheet roofline time of `op` on `gpu` (seconds).
double datasheet_roofline_s(const models::Op& op, const models::GpuSpec& gpu);
// The floor no prediction may go below: the roofline with measured ceilings where the spec has them.
double ceiling_roofline_s(const models::Op& op, const models::GpuSpec& gpu);
// Whether flops (tensor cores) or only bytes bound this kind of op.
bool is_tensor_core_op(models::OpKind kind);

// kernel_s = tau / efficiency + ramp_s.
struct EfficiencyCurve {
  double efficiency = 0.7;   // (0, 1]
  double ramp_s = 3e-6;      // >= 0
  double kernel_time_s(double tau_s) const { return tau_s / efficiency + ramp_s; }
};

// The default, uncalibrated model: models::RooflineEfficiency's efficiencies (so the analytical
// level and this one agree) plus a ramp per kind. Documented guesses, not measurements:
//   gemm 0.70 + 3 us, grouped_gemm 0.60 + 5 us, attention / mla_decode / gqa_decode 0.50 + 5 us,
//   norm / elementwise / router / embedding 0.80 (of HBM bandwidth) + 2 us,
//   launch overhead 4 us per kernel, relative error 0.30.
struct DefaultEfficiencyModel {
  models::RooflineEfficiency roofline;  // efficiencies, launch overhead and error of the roofline
  double gemm_ramp_s = 3e-6;
  double grouped_gemm_ramp_s = 5e-6;
  double attention_ramp_s = 5e-6;
  double memory_ramp_s = 2e-6;
  EfficiencyCurve curve(models::OpKind kind) const;
};

// One (tau, kernel time) observation, e.g. a calibration entry.
struct CurvePoint {
  double tau_s = 0;
  double time_s = 0;
};

// Least-squares fit of kernel_s = a * tau + b in relative error (weights 1/time^2), with Eigen,
// constrained to a >= 1 (efficiency <= 1) and b >= 0. REQUIRES: points non-empty, times > 0.
// With one point, keeps `prior`'s ramp and fits the efficiency only.
EfficiencyCurve fit_efficiency_curve(const std::vector<CurvePoint>& points, const EfficiencyCurve& prior);

// Leave-one-out relative errors |pred - t| / t of the efficiency-curve fit (empty if < 2 points).
std::vector<double> efficiency_curve_loo_errors(const std::vector<CurvePoint>& points, const EfficiencyCurve& prior);

}  // namespace moesim::profiler
