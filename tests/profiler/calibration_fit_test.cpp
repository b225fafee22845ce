#include "profiler/calibration_fit.hpp"

#include <gtest/gtest.h>

#include "profiler/calibrated_cost_model.hpp"
#include "test_gpus.hpp"
#include "traces/kernel_record_io.hpp"

namespace moesim::profiler {
namespace {

traces::CalibrationProvenance provenance() {
  traces::CalibrationProvenance p;
  p.gpu = "h200";
  p.gpu_family = "hopper";
  p.tool = "moesim calibrate";
  p.date = "2026-11-22";
  return p;
}

traces::KernelRecord record(int64_t dur_ns, std::map<std::string, std::string> tags, std::string name = "k") {
  traces::KernelRecord r;
  r.name = std::move(name);
  r.start_ns = 1000;
  r.end_ns = 1000 + dur_ns;
  r.tags = std::move(tags);
  return r;
}

TEST(CalibrationFit, SyntheticFixtureGivesOneEntryPerShapeAndSmallLooError) {
  auto set = traces::read_kernel_records(std::string(MOESIM_TEST_DATA_DIR) + "/records_synthetic_h200.json");
  ASSERT_TRUE(set.ok()) << set.errors()[0].message;
  auto fit = calibration_from_records({{"records_synthetic_h200.json", set.value()}}, provenance());
  ASSERT_TRUE(fit.ok()) << fit.errors()[0].message;
  EXPECT_EQ(fit.value().table.entries.size(), 16u);
  EXPECT_EQ(fit.value().records_used, 80);
  for (const auto& e : fit.value().table.entries) {
    EXPECT_EQ(e.repetitions, 5);
    EXPECT_GT(e.spread_us, 0);
    EXPECT_LT(e.spread_us / e.median_us, 0.03);  // the fixture's wobble is +-2 %
  }
  // The synthetic truth is t = tau/0.8 + 3 us (make_trace_fixtures.py): the fit must find it.
  const CalibratedCostModel model({{fit.value().table, testing::h200(), "fit"}});
  ASSERT_EQ(model.families().size(), 2u);
  const FamilyFit& gemm = model.families()[0];
  ASSERT_EQ(gemm.kind, models::OpKind::kGemm);
  EXPECT_LT(rms(gemm.curve_loo), 0.05);
  EXPECT_NEAR(gemm.curve.efficiency, 0.8, 0.05);
  EXPECT_NEAR(gemm.curve.ramp_s, 3e-6, 1e-6);
  EXPECT_LT(rms(gemm.interpolation_loo), 0.25);
  // The grouped family mixes a memory-bound shape (256 groups x 64 rows, 0.85 of HBM in the
  // generator) with compute-bound ones: one efficiency cannot fit both, and LOO says so.
  const FamilyFit& grouped = model.families()[1];
  EXPECT_EQ(grouped.points, 4);
  EXPECT_GT(rms(grouped.curve_loo), 0.05);
  EXPECT_LT(rms(grouped.curve_loo), 0.30);
}

TEST(CalibrationFit, RepTagSumsMultiKernelOpsAndMedianIsOverReps) {
  const std::map<std::string, std::string> shape = {{"op_kind", "gemm"}, {"dtype", "bf16"}, {"m", "64"}, {"n", "64"}, {"k", "64"}};
  auto with_rep = [&](int rep) {
    auto t = shape;
    t["rep"] = std::to_string(rep);
    return t;
  };
  traces::KernelRecordSet set;
  set.records = {record(10000, with_rep(0), "gemm_main"), record(2000, with_rep(0), "splitKreduce"),
                 record(11000, with_rep(1), "gemm_main"), record(2000, with_rep(1), "splitKreduce"),
                 record(30000, with_rep(2), "gemm_main"), record(5000, {{"family", "setup"}})};
  auto fit = calibration_from_records({{"r.json", set}}, provenance());
  ASSERT_TRUE(fit.ok()) << fit.errors()[0].message;
  ASSERT_EQ(fit.value().table.entries.size(), 1u);
  const auto& e = fit.value().table.entries[0];
  EXPECT_EQ(e.repetitions, 3);
  EXPECT_DOUBLE_EQ(e.median_us, 13.0);  // reps: 12, 13, 30 us
  EXPECT_EQ(fit.value().records_skipped, 1);
  EXPECT_EQ(e.kernel, "gemm_main");
}

TEST(CalibrationFit, InfersGemmFromShapeTagsAndAcceptsSeqForTokens) {
  traces::KernelRecordSet set;
  set.records = {record(1000, {{"m", "8"}, {"n", "8"}, {"k", "8"}, {"groups", "4"}, {"dtype", "fp8"}}),
                 record(1000, {{"op_kind", "attention"}, {"dtype", "bf16"}, {"seq", "512"}, {"heads", "16"},
                               {"qk_dim", "192"}, {"v_dim", "128"}, {"causal", "true"}})};
  auto fit = calibration_from_records({{"r.json", set}}, provenance());
  ASSERT_TRUE(fit.ok()) << fit.errors()[0].message;
  ASSERT_EQ(fit.value().table.entries.size(), 2u);
  EXPECT_EQ(fit.value().table.entries[0].op, models::OpKind::kGroupedGemm);
  EXPECT_EQ(fit.value().table.entries[1].shape.at("tokens"), 512);
  EXPECT_EQ(fit.value().table.entries[1].shape.at("causal"), 1);
}

TEST(CalibrationFit, MalformedTagsAreErrorsNamingTheRecord) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"op_kind", "gemm"}, {"m", "1"}, {"n", "1"}, {"k", "1"}}, "r.json: records[0]: tag dtype is missing"},
      {{{"op_kind", "gemm"}, {"dtype", "bf8"}, {"m", "1"}, {"n", "1"}, {"k", "1"}}, "tag dtype is \"bf8\""},
      {{{"op_kind", "gemm"}, {"dtype", "bf16"}, {"m", "x"}, {"n", "1"}, {"k", "1"}}, "tag m is \"x\", expected an integer >= 1"},
      {{{"op_kind", "gemm"}, {"dtype", "bf16"}, {"m", "1"}, {"n", "1"}}, "tag k is missing, required for op gemm"},
      {{{"op_kind", "conv2d"}, {"dtype", "bf16"}}, "tag op_kind is \"conv2d\""},
  };
  for (const auto& [tags, fragment] : cases) {
    traces::KernelRecordSet set;
    set.records = {record(1000, tags)};
    auto fit = calibration_from_records({{"r.json", set}}, provenance());
    ASSERT_FALSE(fit.ok()) << fragment;
    EXPECT_NE(fit.errors()[0].message.find(fragment), std::string::npos) << fit.errors()[0].message;
  }
  traces::KernelRecordSet untagged;
  untagged.records = {record(1000, {})};
  auto none = calibration_from_records({{"r.json", untagged}}, provenance());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.errors()[0].message.find("no record carries op tags"), std::string::npos);
}

}  // namespace
}  // namespace moesim::profiler
