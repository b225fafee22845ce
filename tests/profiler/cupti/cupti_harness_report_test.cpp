// From harness results to what `moesim profile` writes: the calibration table passes traces/'s
// strict reader, holds only checked and calibratable cases, and the summary counts agreement and
// ceilings correctly.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "profiler/calibration_fit.hpp"
#include "profiler/cupti/harness_report.hpp"
#include "traces/calibration_table.hpp"

namespace moesim::profiler::cupti {
namespace {

using models::DType;
using models::OpKind;

CaseResult ok_case(std::string family, models::Op op, double busy_ns, double event_ns) {
  CaseResult c;
  c.family = std::move(family);
  c.op = std::move(op);
  c.status = "ok";
  c.cupti_busy_ns = busy_ns;
  c.cupti_span_ns = busy_ns;
  c.event_ns = event_ns;
  c.agreement = std::abs(busy_ns - event_ns) / event_ns;
  c.dominant_kernel = "nvjet_tst";
  c.kernels_per_launch = 1;
  return c;
}

HarnessResult sample_result() {
  HarnessResult r;
  r.device.name = "NVIDIA H200";
  r.device.sm_count = 132;
  r.device.compute_major = 9;
  r.device.runtime_version = 13000;
  r.device.driver_version = 13000;
  r.device.driver_release = "580.65.06";
  r.device.sm_clock_now_mhz = 1980;
  r.provenance = provenance_of(r.device);
  r.repetitions = 20;
  // 8192^3 bf16 GEMM in 1.4 ms: 785 TFLOP/s.
  r.cases.push_back(
      ok_case("gemm.bf16", models::make_gemm("g", 8192, 8192, 8192, DType::kBf16, 2, 2, true), 1.4e6, 1.41e6));
  r.cases.push_back(ok_case("moe.fp8",
                            models::make_grouped_gemm("experts.down", 8, 256, 7168, 2048, DType::kFp8, 1, 2, true),
                            1.0e5, 1.2e5));  // 20 % off the events
  models::Op attn;
  attn.name = "attention.core";
  attn.kind = OpKind::kAttention;
  attn.shape.batch = 1, attn.shape.q_tokens = 4096, attn.shape.kv_tokens = 4096, attn.shape.heads = 128;
  attn.shape.qk_dim = 192, attn.shape.v_dim = 128, attn.shape.causal = true;
  attn.flops = 1e12;
  r.cases.push_back(ok_case("attention.prefill", attn, 3e6, 3.01e6));
  models::Op decode;
  decode.name = "attention.mla_decode";
  decode.kind = OpKind::kMlaDecode;
  decode.shape.batch = 64, decode.shape.heads = 128, decode.shape.kv_tokens = 4096;
  decode.flops = 1e11;
  r.cases.push_back(ok_case("attention.mla_decode", decode, 5e5, 5e5));
  r.cases.push_back(
      ok_case("norm", models::make_memory_op("rmsnorm", OpKind::kNorm, 4096 * 7168, 2, 2, 4), 2e4, 2.05e4));
  r.cases.push_back(
      ok_case("router", models::make_memory_op("router.topk", OpKind::kRouter, 4096 * 256, 4, 0, 4), 1e4, 1e4));
  // 1 GiB copied (read + write 2 GiB) in 0.5 ms: 4.29 TB/s.
  r.cases.push_back(
      ok_case("copy", models::make_memory_op("copy.d2d", OpKind::kElementwise, 1 << 30, 1, 1, 0), 5e5, 5e5));
  CaseResult failed =
      ok_case("gemm.fp8", models::make_gemm("q_a_proj", 16, 1536, 7168, DType::kFp8, 1, 2, true), 1e4, 1e4);
  failed.status = "check_failed";
  r.cases.push_back(failed);
  CaseResult unsupported = failed;
  unsupported.status = "unsupported";
  r.cases.push_back(unsupported);
  return r;
}

TEST(HarnessReport, SummaryCountsStatusesAgreementAndCeilings) {
  const HarnessSummary s = summarize(sample_result());
  EXPECT_EQ(s.cases, 9);
  EXPECT_EQ(s.ok, 7);
  EXPECT_EQ(s.check_failed, 1);
  EXPECT_EQ(s.unsupported, 1);
  EXPECT_EQ(s.within_3_percent, 6);  // the moe.fp8 case is 20 % off
  EXPECT_NEAR(s.agreement_fraction, 6.0 / 7.0, 1e-12);
  EXPECT_NEAR(s.bf16_gemm_peak_flops / 1e12, 2.0 * 8192.0 * 8192 * 8192 / 1.4e-3 / 1e12, 1e-6);
  EXPECT_NEAR(s.copy_peak_bytes_per_s / 1e12, 2.0 * (1 << 30) / 5e-4 / 1e12, 1e-9);
  EXPECT_GT(s.fp8_gemm_peak_flops, 0);
}

TEST(HarnessReport, CalibrationTablePassesTheStrictReader) {
  const traces::CalibrationTable table = to_calibration_table(sample_result(), "");
  // gemm, grouped gemm, attention, mla decode, norm; not router, copy, failed or unsupported cases.
  ASSERT_EQ(table.entries.size(), 5u);
  EXPECT_EQ(table.provenance.gpu, "h200");
  EXPECT_EQ(table.provenance.gpu_family, "hopper");
  EXPECT_EQ(table.provenance.driver, "580.65.06");
  EXPECT_EQ(table.provenance.cuda, "13.0");
  EXPECT_EQ(table.provenance.sm_count, 132);
  EXPECT_EQ(table.provenance.sm_clock_mhz, 1980);
  EXPECT_NE(table.provenance.notes.find("within 3 % on 6/7 cases"), std::string::npos) << table.provenance.notes;
  auto parsed = traces::parse_calibration(traces::calibration_to_json(table), "h200-cupti.json");
  ASSERT_TRUE(parsed.ok()) << parsed.errors()[0].message;
  const auto& e = parsed.value().entries;
  EXPECT_EQ(e[0].op, OpKind::kGemm);
  EXPECT_DOUBLE_EQ(e[0].median_us, 1400);
  EXPECT_EQ(e[0].shape.at("m"), 8192);
  EXPECT_EQ(e[1].op, OpKind::kGroupedGemm);
  EXPECT_EQ(e[1].dtype, DType::kFp8);
  EXPECT_EQ(e[1].shape.at("groups"), 8);
  EXPECT_EQ(e[2].shape.at("tokens"), 4096);
  EXPECT_EQ(e[2].shape.at("causal"), 1);
  EXPECT_EQ(e[3].shape.at("context"), 4096);
  EXPECT_EQ(e[4].op, OpKind::kNorm);
  EXPECT_EQ(e[4].repetitions, 20);
  EXPECT_EQ(e[0].kernel, "nvjet_tst");
}

TEST(HarnessReport, GpuOverrideAndNames) {
  EXPECT_EQ(to_calibration_table(sample_result(), "h200-sxm").provenance.gpu, "h200-sxm");
  EXPECT_EQ(catalog_gpu_name("NVIDIA H100 80GB HBM3"), "h100");
  EXPECT_EQ(catalog_gpu_name("NVIDIA B200"), "b200");
  EXPECT_EQ(catalog_gpu_name(""), "unknown");
  EXPECT_EQ(gpu_family_of(9, 0), "hopper");
  EXPECT_EQ(gpu_family_of(10, 0), "blackwell");
  EXPECT_EQ(gpu_family_of(8, 0), "ampere");
  EXPECT_EQ(gpu_family_of(8, 9), "ada");
}

TEST(HarnessReport, ReportJsonListsEveryCase) {
  const nlohmann::json doc = nlohmann::json::parse(harness_report_json(sample_result()));
  EXPECT_EQ(doc["schema_version"], 1);
  EXPECT_EQ(doc["cases"].size(), 9u);
  EXPECT_EQ(doc["summary"]["within_3_percent"], 6);
  EXPECT_EQ(doc["capture"]["dropped_records"], 0);
  EXPECT_EQ(doc["cases"][7]["status"], "check_failed");
}

TEST(HarnessReport, RecordTagsAreWhatMoesimCalibrateFits) {
  // Route B of traces/calibration/README.md: records tagged like the harness tags them, two kernels
  // per launch, three launches; `calibrate` must find every calibratable case and sum per launch.
  const HarnessResult r = sample_result();
  traces::KernelRecordSet set;
  set.provenance = r.provenance;
  int64_t t = 1000;
  size_t calibratable = 0;
  for (const CaseResult& c : r.cases) {
    if (c.status != "ok") continue;
    const auto tags = calibration_tags(c);
    EXPECT_EQ(tags.at("dtype"), std::string(models::to_string(c.op.dtype)));
    calibratable += tags.count("op_kind");
    for (int launch = 0; launch < 3; ++launch) {
      for (int kernel = 0; kernel < 2; ++kernel) {
        traces::KernelRecord k;
        k.name = "k" + std::to_string(kernel);
        k.start_ns = t, k.end_ns = t + 500, t += 1000;
        k.tags = tags;
        k.tags["rep"] = std::to_string(launch);
        set.records.push_back(k);
      }
    }
  }
  EXPECT_EQ(calibratable, 5u);  // router and copy carry no op_kind
  auto fit = profiler::calibration_from_records({{"profile.records.json", set}}, {});
  ASSERT_TRUE(fit.ok()) << fit.errors()[0].message;
  ASSERT_EQ(fit.value().table.entries.size(), 5u);
  for (const auto& e : fit.value().table.entries) {
    EXPECT_DOUBLE_EQ(e.median_us, 1.0);  // two 0.5 us kernels per launch
    EXPECT_EQ(e.repetitions, 3);
  }
}

}  // namespace
}  // namespace moesim::profiler::cupti
