// The calibrated cost model: (op, shape, dtype, GPU) → seconds, with where the number came from and
// how far to trust it. For each prediction, in order:
//   1. measured      the GPU's calibration table has this exact (op kind, dtype, shape) (the value
//                    is the measurement after the monotone pooling of log_interpolator.hpp);
//   2. interpolated  the table has other shapes of this (op kind, dtype): log-space interpolation
//                    along the roofline axis (log_interpolator.hpp);
//   3. scaled from X no table for this GPU, but GPU X of the same family (GpuSpec::family) has one:
//                    X's efficiency curve (fitted with Eigen) applied to this GPU's roofline;
//   4. roofline      the documented default efficiency model (efficiency_model.hpp), `uncalibrated`.
// Every prediction adds one launch overhead and is never below the measured-ceiling roofline.
#pragma once

#include <string>
#include <vector>

#include "models/cost_model.hpp"
#include "profiler/efficiency_model.hpp"
#include "profiler/log_interpolator.hpp"
#include "profiler/op_factory.hpp"
#include "traces/calibration_table.hpp"

namespace moesim::profiler {

// A calibration table with the catalog spec of the GPU it was measured on.
struct CalibrationSource {
  traces::CalibrationTable table;
  models::GpuSpec gpu;   // REQUIRES: gpu.name == table.provenance.gpu
  std::string origin;    // file it came from, for messages
};

// A prediction with everything behind it.
struct CostPrediction {
  models::CostEstimate estimate;  // time_s = kernel_s + launch_overhead_s
  double kernel_s = 0;
  double launch_overhead_s = 0;
  double tau_s = 0;               // datasheet roofline time
  double floor_s = 0;             // measured-ceiling roofline: kernel_s >= floor_s
  int points = 0;                 // calibration points behind it (0 for roofline)
  double extrapolation_log2 = 0;  // how far (log2 of tau) outside the measured range
  std::string calibration_gpu;    // GPU whose table was used ("" for roofline)
};

// What the model learned about one (GPU, op kind, dtype) from its calibration points.
struct FamilyFit {
  std::string gpu;
  std::string gpu_family;
  models::OpKind kind = models::OpKind::kGemm;
  models::DType dtype = models::DType::kBf16;
  int points = 0;
  std::vector<double> interpolation_loo;  // leave-one-out relative errors of the interpolation
  EfficiencyCurve curve;                  // fitted kernel_s = tau / efficiency + ramp_s
  std::vector<double> curve_loo;          // leave-one-out relative errors of the curve
};

class CalibratedCostModel : public models::CostModel {
 public:
  // Sources whose entries cannot be turned into ops (e.g. an op kind with no cost shape) are
  // rejected by make(); the constructor trusts its input.
  explicit CalibratedCostModel(const std::vector<CalibrationSource>& sources, DefaultEfficiencyModel defaults = {});
  static Result<CalibratedCostModel> make(const std::vector<CalibrationSource>& sources,
                                          DefaultEfficiencyModel defaults = {});

  models::CostEstimate op_time(const models::Op& op, const models::GpuSpec& gpu) const override {
    return predict(op, gpu).estimate;
  }
  CostPrediction predict(const models::Op& op, const models::GpuSpec& gpu) const;

  const std::vector<FamilyFit>& families() const { return fits_; }
  const DefaultEfficiencyModel& defaults() const { return defaults_; }

  // Error estimates (relative) the model uses where it has no leave-one-out figure of its own.
  static constexpr double kInterpolationPriorError = 0.15;  // fewer than 3 points in the family
  static constexpr double kCrossGpuError = 0.15;            // moving a curve to another GPU
  static constexpr double kErrorPerOctave = 0.05;           // per doubling of tau outside the data

 private:
  struct Point {
    ShapeParams shape;
    CurvePoint curve_point;
    double spread_rel = 0;
  };
  struct Family {
    FamilyFit fit;
    models::GpuSpec gpu;
    std::vector<Point> points;
    LogInterpolator interpolator;
  };

  const Family* own_family(const models::Op& op, const models::GpuSpec& gpu) const;
  const Family* nearest_family(const models::Op& op, const models::GpuSpec& gpu) const;
  CostPrediction finish(CostPrediction p, const models::Op& op, const models::GpuSpec& gpu) const;

  DefaultEfficiencyModel defaults_;
  std::vector<Family> families_;
  std::vector<FamilyFit> fits_;
};

}  // namespace moesim::profiler
