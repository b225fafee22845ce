// Round trip and strictness of calibration tables.
#include "traces/calibration_table.hpp"

#include <gtest/gtest.h>

#include "test_files.hpp"
#include "traces/embedded_calibration.hpp"

namespace moesim::traces {
namespace {

CalibrationTable sample_table() {
  CalibrationTable t;
  t.provenance.gpu = "h200";
  t.provenance.gpu_name = "NVIDIA H200";
  t.provenance.gpu_family = "hopper";
  t.provenance.sm_count = 132;
  t.provenance.sm_clock_mhz = 1980;
  t.provenance.driver = "580.65.06";
  t.provenance.cuda = "13.0";
  t.provenance.tool = "moesim profile";
  t.provenance.tool_version = "0.1.0";
  t.provenance.date = "2026-11-22T08:00:00Z";
  CalibrationEntry gemm;
  gemm.op = models::OpKind::kGemm;
  gemm.dtype = models::DType::kFp8;
  gemm.shape = {{"m", 4096}, {"n", 7168}, {"k", 2048}};
  gemm.median_us = 123.456;
  gemm.repetitions = 50;
  gemm.spread_us = 1.5;
  gemm.kernel = "sm90_xmma_gemm_e4m3";
  CalibrationEntry attn;
  attn.op = models::OpKind::kAttention;
  attn.shape = {{"batch", 1}, {"tokens", 4096}, {"heads", 128}, {"qk_dim", 192}, {"v_dim", 128}, {"causal", 1}};
  attn.median_us = 2000;
  t.entries = {gemm, attn};
  return t;
}

TEST(CalibrationTable, RoundTrips) {
  const CalibrationTable t = sample_table();
  const std::string text = calibration_to_json(t);
  auto back = parse_calibration(text, "cal.json");
  ASSERT_TRUE(back.ok()) << back.errors()[0].message;
  const CalibrationTable& b = back.value();
  EXPECT_EQ(b.provenance.gpu, "h200");
  EXPECT_EQ(b.provenance.sm_count, 132);
  EXPECT_DOUBLE_EQ(b.provenance.sm_clock_mhz, 1980);
  EXPECT_EQ(b.provenance.date, t.provenance.date);
  ASSERT_EQ(b.entries.size(), 2u);
  EXPECT_EQ(b.entries[0].dtype, models::DType::kFp8);
  EXPECT_EQ(b.entries[0].shape, t.entries[0].shape);
  EXPECT_DOUBLE_EQ(b.entries[0].median_us, 123.456);
  EXPECT_EQ(b.entries[0].repetitions, 50);
  EXPECT_EQ(b.entries[1].shape.at("causal"), 1);
  EXPECT_EQ(calibration_to_json(b), text);
}

TEST(CalibrationTable, FillsOptionalShapeDefaults) {
  CalibrationTable t = sample_table();
  t.entries[1].shape.erase("batch");
  t.entries[1].shape.erase("causal");
  auto back = parse_calibration(calibration_to_json(t), "cal.json");
  ASSERT_TRUE(back.ok()) << back.errors()[0].message;
  EXPECT_EQ(back.value().entries[1].shape.at("batch"), 1);
  EXPECT_EQ(back.value().entries[1].shape.at("causal"), 1);
}

TEST(CalibrationTable, RejectsBadEntriesNamingThem) {
  const std::string head = R"({"format":"moesim.calibration","schema_version":1,"provenance":{"gpu":"h200",)"
                           R"("gpu_family":"hopper","tool":"t","date":"d"},"entries":[)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {head + R"({"op":"gemm","dtype":"bf16","shape":{"m":1,"n":2},"median_us":3}]})",
       "cal.json: entries[0].shape.k: missing, expected an integer"},
      {head + R"({"op":"gemm","dtype":"bf16","shape":{"m":1,"n":2,"k":3,"x":1},"median_us":3}]})",
       "entries[0].shape.x: unknown key for op \"gemm\""},
      {head + R"({"op":"gemm","dtype":"bf17","shape":{"m":1,"n":2,"k":3},"median_us":3}]})",
       "entries[0].dtype: found \"bf17\""},
      {head + R"({"op":"conv","dtype":"bf16","shape":{},"median_us":3}]})", "entries[0].op: found \"conv\""},
      {head + R"({"op":"gemm","dtype":"bf16","shape":{"m":1,"n":2,"k":3},"median_us":0}]})",
       "entries[0].median_us: found 0, expected a time > 0"},
      {head + R"({"op":"gemm","dtype":"bf16","shape":{"m":0,"n":2,"k":3},"median_us":1}]})",
       "entries[0].shape.m: found 0, expected >= 1"},
      {head + R"({"op":"gemm","dtype":"bf16","shape":{"m":1,"n":2,"k":3},"median_us":1,"medan_us":2}]})",
       "entries[0].medan_us: unknown key (did you mean 'median_us'?)"},
      {R"({"format":"moesim.calibration","schema_version":1,"provenance":{"gpu":"h200","tool":"t","date":"d"},"entries":[]})",
       "provenance.gpu_family: missing"},
      {R"({"format":"moesim.calibration","schema_version":1,"entries":[]})", "cal.json: provenance: missing"},
  };
  for (const auto& [text, fragment] : cases) {
    auto r = parse_calibration(text, "cal.json");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.errors()[0].message.find(fragment), std::string::npos) << r.errors()[0].message;
  }
}

TEST(CalibrationTable, EmbeddedKernelCalibrationsParse) {
  // Other files in traces/calibration/ (e.g. network calibrations) are skipped, not errors.
  auto tables = embedded_calibration_tables();
  ASSERT_TRUE(tables.ok()) << tables.errors()[0].message;
  size_t kernel_files = 0;
  for (const EmbeddedFile& f : embedded_calibration_files()) {
    if (is_kernel_calibration(f.text)) ++kernel_files;
  }
  EXPECT_EQ(tables.value().size(), kernel_files);
}

TEST(CalibrationTable, RecognisesKernelCalibrationsByFormat) {
  EXPECT_TRUE(is_kernel_calibration(calibration_to_json(sample_table())));
  EXPECT_FALSE(is_kernel_calibration(R"({"schema_version":1,"kind":"network_calibration"})"));
  EXPECT_FALSE(is_kernel_calibration("not json"));
}

}  // namespace
}  // namespace moesim::traces
