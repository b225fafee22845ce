#include "profiler/efficiency_model.hpp"

#include <gtest/gtest.h>

#include "profiler/op_factory.hpp"
#include "test_gpus.hpp"

namespace moesim::profiler {
namespace {

using models::DType;

TEST(Roofline, DatasheetAndCeiling) {
  const models::Op op = gemm_op(8192, 8192, 8192, DType::kBf16);
  const models::GpuSpec gpu = testing::h200();
  EXPECT_DOUBLE_EQ(datasheet_roofline_s(op, gpu), op.flops / 989e12);
  EXPECT_DOUBLE_EQ(ceiling_roofline_s(op, gpu), op.flops / 790e12);
  // fp8 ceiling scales by the same measured/datasheet ratio.
  const models::Op fp8 = gemm_op(8192, 8192, 8192, DType::kFp8);
  EXPECT_NEAR(ceiling_roofline_s(fp8, gpu), fp8.flops / (1979e12 * 790.0 / 989.0), 1e-12);
  // Memory-bound ops use HBM bandwidth only.
  const models::Op norm = memory_op(models::OpKind::kNorm, 1 << 20);
  EXPECT_DOUBLE_EQ(datasheet_roofline_s(norm, gpu), 4.0 * (1 << 20) / 4.8e12);
  EXPECT_DOUBLE_EQ(ceiling_roofline_s(norm, gpu), 4.0 * (1 << 20) / 4.3e12);
}

TEST(DefaultEfficiency, DocumentedValues) {
  const DefaultEfficiencyModel d;
  EXPECT_DOUBLE_EQ(d.curve(models::OpKind::kGemm).efficiency, 0.70);
  EXPECT_DOUBLE_EQ(d.curve(models::OpKind::kGemm).ramp_s, 3e-6);
  EXPECT_DOUBLE_EQ(d.curve(models::OpKind::kGroupedGemm).efficiency, 0.60);
  EXPECT_DOUBLE_EQ(d.curve(models::OpKind::kMlaDecode).efficiency, 0.50);
  EXPECT_DOUBLE_EQ(d.curve(models::OpKind::kNorm).efficiency, 0.80);
  EXPECT_DOUBLE_EQ(d.roofline.launch_overhead_s, 4e-6);
}

TEST(EfficiencyFit, RecoversAKnownCurve) {
  const EfficiencyCurve truth{0.8, 3e-6};
  std::vector<CurvePoint> pts;
  for (double tau : {1e-6, 1e-5, 1e-4, 1e-3}) pts.push_back({tau, truth.kernel_time_s(tau)});
  const EfficiencyCurve fit = fit_efficiency_curve(pts, EfficiencyCurve{});
  EXPECT_NEAR(fit.efficiency, 0.8, 1e-9);
  EXPECT_NEAR(fit.ramp_s, 3e-6, 1e-12);
  for (double e : efficiency_curve_loo_errors(pts, EfficiencyCurve{})) EXPECT_LT(e, 1e-9);
}

TEST(EfficiencyFit, RespectsConstraints) {
  // Faster than the roofline would need efficiency > 1: clipped to 1.
  std::vector<CurvePoint> too_fast = {{1e-4, 0.5e-4}, {1e-3, 0.5e-3}};
  const EfficiencyCurve a = fit_efficiency_curve(too_fast, EfficiencyCurve{});
  EXPECT_LE(a.efficiency, 1.0);
  EXPECT_GE(a.ramp_s, 0.0);
  // Time shrinking with tau would need a negative ramp: pinned at 0.
  std::vector<CurvePoint> negative = {{1e-4, 1e-4}, {1e-3, 2e-3}};
  const EfficiencyCurve b = fit_efficiency_curve(negative, EfficiencyCurve{});
  EXPECT_GE(b.ramp_s, 0.0);
  EXPECT_GT(b.efficiency, 0.0);
  // One point: keeps the prior ramp.
  const EfficiencyCurve c = fit_efficiency_curve({{1e-4, 2e-4 + 3e-6}}, EfficiencyCurve{0.7, 3e-6});
  EXPECT_NEAR(c.efficiency, 0.5, 1e-9);
  EXPECT_DOUBLE_EQ(c.ramp_s, 3e-6);
}

}  // namespace
}  // namespace moesim::profiler
