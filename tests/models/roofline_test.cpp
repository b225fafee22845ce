#include <gtest/gtest.h>

#include "models/cost_model.hpp"
#include "models/op.hpp"

namespace moesim::models {
namespace {

GpuSpec h800() {
  GpuSpec g;
  g.name = "h800";
  g.peak_flops = {{DType::kBf16, 989e12}, {DType::kFp8, 1979e12}};
  g.hbm_bw_bytes_per_s = 3.35e12;
  return g;
}

TEST(Roofline, LargeGemmIsComputeBoundAtTheConfiguredEfficiency) {
  const RooflineCostModel model;
  const Op op = make_gemm("g", 8192, 8192, 8192, DType::kBf16, 2, 2, true);
  const CostEstimate est = model.op_time(op, h800());
  const double expected = op.flops / (989e12 * model.efficiency().gemm) + model.efficiency().launch_overhead_s;
  EXPECT_NEAR(est.time_s, expected, 1e-12);
  EXPECT_FALSE(est.calibrated);
  EXPECT_EQ(est.source, "roofline");
}

TEST(Roofline, Fp8DoublesGemmThroughputButNotOnAmpere) {
  const RooflineCostModel model;
  const Op bf16 = make_gemm("g", 8192, 8192, 8192, DType::kBf16, 2, 2, true);
  const Op fp8 = make_gemm("g", 8192, 8192, 8192, DType::kFp8, 1, 1, true);
  const double overhead = model.efficiency().launch_overhead_s;
  EXPECT_NEAR((model.op_time(bf16, h800()).time_s - overhead) / (model.op_time(fp8, h800()).time_s - overhead), 2.0,
              0.01);
  GpuSpec a100 = h800();
  a100.peak_flops = {{DType::kBf16, 312e12}};
  EXPECT_NEAR(model.op_time(fp8, a100).time_s, model.op_time(bf16, a100).time_s, 1e-9);
}

TEST(Roofline, SmallOpsAreMemoryBoundAndMonotone) {
  const RooflineCostModel model;
  double previous = 0;
  for (int64_t m : {1, 8, 64, 512}) {
    const double t = model.op_time(make_gemm("g", m, 7168, 2048, DType::kBf16, 2, 2, true), h800()).time_s;
    EXPECT_GT(t, previous);
    previous = t;
  }
}

TEST(Roofline, MeasuredCeilingCapsTheDatasheetPeak) {
  const RooflineCostModel model;
  GpuSpec g = h800();
  const Op op = make_gemm("g", 8192, 8192, 8192, DType::kBf16, 2, 2, true);
  const double datasheet = model.op_time(op, g).time_s;
  g.measured_bf16_flops = 790e12;
  EXPECT_GT(model.op_time(op, g).time_s, datasheet * 1.2);
}

}  // namespace
}  // namespace moesim::models
