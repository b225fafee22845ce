// Interpolation of measured kernel times along the roofline axis, in log space.
//
// Points are (tau, time) where tau is the op's datasheet roofline time (efficiency_model.hpp). The
// interpolant is piecewise linear in (log tau, log time) through the points after a pool-adjacent-
// violators pass makes time non-decreasing in tau (noise must not make a bigger op cheaper). Below the
// smallest measured tau it stays at that point's time (small kernels are latency bound); above the
// largest it grows in proportion to tau (efficiency held). Because tau grows with every size
// argument of an op and the interpolant grows with tau, predictions are monotone in every size.
#pragma once

#include <vector>

#include "profiler/efficiency_model.hpp"

namespace moesim::profiler {

class LogInterpolator {
 public:
  // REQUIRES: points non-empty, tau and time > 0.
  explicit LogInterpolator(std::vector<CurvePoint> points);

  double time_s(double tau_s) const;
  // log2 distance from tau to the measured range (0 inside it).
  double extrapolation_log2(double tau_s) const;
  size_t size() const { return log_tau_.size(); }

 private:
  std::vector<double> log_tau_;   // strictly increasing
  std::vector<double> log_time_;  // non-decreasing
};

// Leave-one-out relative errors of the interpolant (empty if fewer than 3 points: with 2, leaving
// one out is pure extrapolation and says nothing about interpolation).
std::vector<double> interpolation_loo_errors(const std::vector<CurvePoint>& points);

// Root mean square of relative errors (0 for an empty list).
double rms(const std::vector<double>& errors);

}  // namespace moesim::profiler
