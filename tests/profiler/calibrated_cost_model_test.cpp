// The calibrated cost model: sources, error estimates, and its two properties — monotone in every
// size argument, never faster than the measured ceiling.
#include "profiler/calibrated_cost_model.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "test_gpus.hpp"

namespace moesim::profiler {
namespace {

using models::DType;
using models::GpuSpec;
using models::Op;
using models::OpKind;

// Synthetic "measurements": kernel_s = tau / 0.8 + 3 us on the GPU's datasheet roofline.
traces::CalibrationEntry entry(const Op& op, const GpuSpec& gpu, double spread_rel = 0.02) {
  traces::CalibrationEntry e;
  e.op = op.kind;
  e.dtype = op.dtype;
  e.shape = shape_params_of(op);
  e.median_us = (datasheet_roofline_s(op, gpu) / 0.8 + 3e-6) * 1e6;
  e.repetitions = 10;
  e.spread_us = e.median_us * spread_rel;
  return e;
}

CalibrationSource h200_source() {
  CalibrationSource s;
  s.gpu = testing::h200();
  s.origin = "h200-test.json";
  s.table.provenance.gpu = "h200";
  s.table.provenance.gpu_family = "hopper";
  for (int64_t m : {128, 512, 2048, 8192}) {
    for (int64_t nk : {1024, 4096, 16384}) s.table.entries.push_back(entry(gemm_op(m, nk, nk, DType::kBf16), s.gpu));
  }
  for (int64_t b : {1, 8, 64, 256}) {
    for (int64_t c : {1024, 8192}) s.table.entries.push_back(entry(mla_decode_op(b, 128, c, DType::kBf16), s.gpu));
  }
  return s;
}

TEST(CalibratedCostModel, DefaultModelIsUncalibratedRoofline) {
  const CalibratedCostModel model({});
  const Op op = gemm_op(4096, 4096, 4096, DType::kBf16);
  const CostPrediction p = model.predict(op, testing::h100());
  EXPECT_EQ(p.estimate.source, "roofline");
  EXPECT_FALSE(p.estimate.calibrated);
  EXPECT_DOUBLE_EQ(p.estimate.error_estimate, 0.30);
  EXPECT_NEAR(p.kernel_s, op.flops / 989e12 / 0.70 + 3e-6, 1e-15);
  EXPECT_DOUBLE_EQ(p.estimate.time_s, p.kernel_s + 4e-6);
}

TEST(CalibratedCostModel, MeasuredShapeReturnsTheMeasurement) {
  const CalibrationSource s = h200_source();
  const CalibratedCostModel model({s});
  const Op op = gemm_op(2048, 4096, 4096, DType::kBf16);
  const CostPrediction p = model.predict(op, s.gpu);
  EXPECT_EQ(p.estimate.source, "measured");
  EXPECT_TRUE(p.estimate.calibrated);
  EXPECT_NEAR(p.kernel_s, datasheet_roofline_s(op, s.gpu) / 0.8 + 3e-6, 1e-12);
  EXPECT_NEAR(p.estimate.error_estimate, 0.02, 1e-12);
}

TEST(CalibratedCostModel, InterpolatesBetweenShapesWithLooError) {
  const CalibrationSource s = h200_source();
  const CalibratedCostModel model({s});
  const Op op = gemm_op(1000, 3000, 3000, DType::kBf16);
  const CostPrediction p = model.predict(op, s.gpu);
  EXPECT_EQ(p.estimate.source, "interpolated");
  EXPECT_TRUE(p.estimate.calibrated);
  const double truth = datasheet_roofline_s(op, s.gpu) / 0.8 + 3e-6;
  EXPECT_NEAR(p.kernel_s / truth, 1.0, 0.10);
  EXPECT_GT(p.estimate.error_estimate, 0.0);
  EXPECT_LT(p.estimate.error_estimate, 0.30);
  EXPECT_DOUBLE_EQ(p.extrapolation_log2, 0.0);
  ASSERT_EQ(model.families().size(), 2u);
  EXPECT_EQ(model.families()[0].points, 12);
  EXPECT_EQ(model.families()[0].interpolation_loo.size(), 12u);
}

TEST(CalibratedCostModel, ScalesFromTheNearestGpuOfTheSameFamily) {
  CalibrationSource far = h200_source();
  far.gpu = testing::h20();
  far.table.provenance.gpu = "h20";
  for (auto& e : far.table.entries) e.median_us *= 3;
  const CalibratedCostModel model({far, h200_source()});
  const Op op = gemm_op(4096, 4096, 4096, DType::kBf16);
  const CostPrediction p = model.predict(op, testing::h100());
  EXPECT_EQ(p.estimate.source, "scaled from h200");  // h200 is nearer to h100 than h20 is
  EXPECT_TRUE(p.estimate.calibrated);
  EXPECT_NEAR(p.kernel_s, datasheet_roofline_s(op, testing::h100()) / 0.8 + 3e-6, 1e-9);
  EXPECT_GE(p.estimate.error_estimate, CalibratedCostModel::kCrossGpuError);
  // Another family, or a dtype nobody measured, falls back to the roofline.
  EXPECT_EQ(model.predict(op, testing::a100()).estimate.source, "roofline");
  EXPECT_EQ(model.predict(gemm_op(4096, 4096, 4096, DType::kFp8), testing::h100()).estimate.source, "roofline");
}

TEST(CalibratedCostModel, MakeRejectsEntriesItCannotCost) {
  CalibrationSource s = h200_source();
  s.table.entries[0].shape.erase("k");
  auto model = CalibratedCostModel::make({s});
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.errors()[0].message, "h200-test.json: entries[0].shape: 'k' is missing, required for op \"gemm\"");
}

// --- Properties -------------------------------------------------------------------------------

// Each size argument of each op kind, as a function size → op with the others fixed.
struct SizeArgument {
  std::string label;
  std::function<Op(int64_t)> op;
};

std::vector<SizeArgument> size_arguments(DType dt) {
  return {
      {"gemm.m", [dt](int64_t x) { return gemm_op(x, 4096, 4096, dt); }},
      {"gemm.n", [dt](int64_t x) { return gemm_op(512, x, 4096, dt); }},
      {"gemm.k", [dt](int64_t x) { return gemm_op(512, 4096, x, dt); }},
      {"grouped.groups", [dt](int64_t x) { return grouped_gemm_op(x, 128, 2048, 7168, dt); }},
      {"grouped.m", [dt](int64_t x) { return grouped_gemm_op(8, x, 2048, 7168, dt); }},
      {"grouped.n", [dt](int64_t x) { return grouped_gemm_op(8, 128, x, 7168, dt); }},
      {"grouped.k", [dt](int64_t x) { return grouped_gemm_op(8, 128, 2048, x, dt); }},
      {"attention.tokens", [dt](int64_t x) { return attention_op(1, x, 128, 192, 128, true, dt); }},
      {"attention.heads", [dt](int64_t x) { return attention_op(1, 4096, x, 192, 128, true, dt); }},
      {"attention.qk_dim", [dt](int64_t x) { return attention_op(1, 4096, 16, x, 128, true, dt); }},
      {"attention.v_dim", [dt](int64_t x) { return attention_op(1, 4096, 16, 192, x, true, dt); }},
      {"attention.batch", [dt](int64_t x) { return attention_op(x, 1024, 16, 192, 128, false, dt); }},
      {"mla.batch", [dt](int64_t x) { return mla_decode_op(x, 128, 4096, dt); }},
      {"mla.heads", [dt](int64_t x) { return mla_decode_op(32, x, 4096, dt); }},
      {"mla.context", [dt](int64_t x) { return mla_decode_op(32, 128, x, dt); }},
      {"norm.elements", [](int64_t x) { return memory_op(OpKind::kNorm, x); }},
  };
}

TEST(CalibratedCostModelProperty, MonotoneInEverySizeArgument) {
  const CalibratedCostModel model({h200_source()});
  // h200: measured/interpolated for gemm and mla bf16, roofline for the rest; h100: scaled; a100: roofline.
  for (const GpuSpec& gpu : {testing::h200(), testing::h100(), testing::a100()}) {
    for (DType dt : {DType::kBf16, DType::kFp8, DType::kFp4}) {
      for (const SizeArgument& arg : size_arguments(dt)) {
        double last = 0;
        for (int64_t x = 1; x <= (int64_t{1} << 20); x = x * 3 / 2 + 1) {
          const double t = model.op_time(arg.op(x), gpu).time_s;
          ASSERT_GE(t, last * (1 - 1e-12)) << gpu.name << " " << models::to_string(dt) << " " << arg.label << "=" << x;
          last = t;
        }
      }
    }
  }
}

TEST(CalibratedCostModelProperty, NeverFasterThanTheMeasuredCeiling) {
  // Include an impossible measurement (10x faster than the ceiling) to check the clamp too.
  CalibrationSource s = h200_source();
  traces::CalibrationEntry fast = entry(gemm_op(16384, 16384, 16384, DType::kBf16), s.gpu);
  fast.median_us /= 10;
  s.table.entries.push_back(fast);
  const CalibratedCostModel model({s});
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> pick(0, 15);
  std::uniform_int_distribution<int64_t> size(1, 20000);
  const std::vector<SizeArgument> args = size_arguments(DType::kBf16);
  for (int i = 0; i < 2000; ++i) {
    const Op op = args[static_cast<size_t>(pick(rng))].op(size(rng));
    for (const GpuSpec& gpu : {testing::h200(), testing::h100()}) {
      const CostPrediction p = model.predict(op, gpu);
      ASSERT_GE(p.kernel_s, ceiling_roofline_s(op, gpu)) << op.name << " on " << gpu.name;
      ASSERT_GE(p.estimate.time_s, p.kernel_s);
    }
  }
  const Op big = gemm_op(16384, 16384, 16384, DType::kBf16);
  EXPECT_DOUBLE_EQ(model.predict(big, s.gpu).kernel_s, ceiling_roofline_s(big, s.gpu));
}

}  // namespace
}  // namespace moesim::profiler
