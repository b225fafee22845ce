// GPU-only (ctest label `gpu`): a quick harness run on the device: every case passes its reference
// check, CUPTI captures every repetition without drops, and CUPTI agrees with CUDA events.
#include <gtest/gtest.h>

#include "profiler/cupti/device_info.hpp"
#include "profiler/cupti/harness.hpp"
#include "profiler/cupti/harness_report.hpp"

namespace moesim::profiler::cupti {
namespace {

// Empty when a GPU is present, else why not (GTEST_SKIP must be called from the test body itself).
std::string why_no_gpu() {
  auto d = probe_device();
  return d.ok() ? "" : d.errors()[0].message;
}

TEST(GpuHarness, QuickMemoryAndNormCasesPassChecksAndAgree) {
  if (const std::string why = why_no_gpu(); !why.empty()) GTEST_SKIP() << why;
  HarnessSpec spec;
  spec.quick = true;
  spec.families = {"norm", "router", "cast", "copy"};
  auto r = run_harness(spec);
  ASSERT_TRUE(r.ok()) << r.errors()[0].message;
  EXPECT_EQ(r.value().stats.dropped_records, 0);
  for (const CaseResult& c : r.value().cases) {
    EXPECT_EQ(c.status, "ok") << c.family << " " << c.op.name << ": " << c.detail;
    EXPECT_GE(c.kernels_per_launch, 1) << c.op.name;
    EXPECT_GT(c.cupti_busy_ns, 0) << c.op.name;
  }
}

TEST(GpuHarness, QuickGemmAndAttentionCasesPassChecks) {
  if (const std::string why = why_no_gpu(); !why.empty()) GTEST_SKIP() << why;
  HarnessSpec spec;
  spec.quick = true;
  spec.families = {"gemm.bf16", "moe.bf16", "attention.prefill", "attention.mla_decode", "gemm.fp8", "moe.fp8"};
  auto r = run_harness(spec);
  ASSERT_TRUE(r.ok()) << r.errors()[0].message;
  const HarnessSummary s = summarize(r.value());
  EXPECT_EQ(s.check_failed, 0);
  EXPECT_GE(s.agreement_fraction, 0.95);
  EXPECT_GT(s.bf16_gemm_peak_flops, 300e12);  // an H100/H200 reaches ~750+ on large bf16 GEMMs
}

}  // namespace
}  // namespace moesim::profiler::cupti
