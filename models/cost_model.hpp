// The one question the simulator asks about compute: how long does this op take on this GPU?
// Implementations: RooflineCostModel (below, uncalibrated default) and the calibrated tables in profiler/.
#pragma once

#include <string>

#include "models/hardware_spec.hpp"
#include "models/op.hpp"

namespace moesim::models {

// A time prediction with where it came from and how much to trust it.
struct CostEstimate {
  double time_s = 0;
  std::string source;          // "measured", "interpolated", "scaled from h200", "roofline"
  double error_estimate = 0;   // expected relative error (0.1 = ±10 %)
  bool calibrated = false;     // false when no measurement stands behind the number
};

class CostModel {
 public:
  virtual ~CostModel() = default;
  // REQUIRES: op has positive flops or bytes.
  virtual CostEstimate op_time(const Op& op, const GpuSpec& gpu) const = 0;
};

// Default efficiencies used before any calibration: documented guesses, flagged `uncalibrated`.
struct RooflineEfficiency {
  double gemm = 0.70;             // achieved / peak tensor flop/s on large GEMMs
  double grouped_gemm = 0.60;
  double attention = 0.50;
  double memory = 0.80;           // achieved / peak HBM bandwidth on streaming kernels
  double launch_overhead_s = 4e-6;
  double relative_error = 0.30;   // what an uncalibrated roofline is typically off by
};

// time = max(flops / (peak × eff), bytes / (bw × eff)) + launch overhead, using measured ceilings
// where the GPU spec has them.
class RooflineCostModel : public CostModel {
 public:
  explicit RooflineCostModel(RooflineEfficiency eff = {}) : eff_(eff) {}
  CostEstimate op_time(const Op& op, const GpuSpec& gpu) const override;
  const RooflineEfficiency& efficiency() const { return eff_; }

 private:
  RooflineEfficiency eff_;
};

}  // namespace moesim::models
