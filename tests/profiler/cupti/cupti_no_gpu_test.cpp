// The no-GPU contract: probing reports kNoDevice with the CUDA error named, and the harness entry
// returns kNoDevice (before any case runs). Skipped where a GPU is present.
#include <gtest/gtest.h>

#include "profiler/cupti/device_info.hpp"
#include "profiler/cupti/harness.hpp"

namespace moesim::profiler::cupti {
namespace {

TEST(NoGpu, ProbeNamesTheCudaError) {
  auto d = probe_device();
  if (d.ok()) GTEST_SKIP() << "GPU present: " << d.value().name;
  ASSERT_EQ(d.errors().size(), 1u);
  EXPECT_EQ(d.errors()[0].kind, ErrorKind::kNoDevice);
  // e.g. "no CUDA GPU available: cudaGetDeviceCount returned 35 (cudaErrorInsufficientDriver: ...)"
  EXPECT_EQ(d.errors()[0].message.rfind("no CUDA GPU available: cudaGetDeviceCount", 0), 0u) << d.errors()[0].message;
  EXPECT_EQ(d.errors()[0].message.find('\n'), std::string::npos);
}

TEST(NoGpu, HarnessReturnsNoDevice) {
  if (probe_device().ok()) GTEST_SKIP() << "GPU present";
  HarnessSpec spec;
  spec.quick = true;
  auto r = run_harness(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].kind, ErrorKind::kNoDevice);
}

TEST(Harness, UnknownFamilyIsBadInputListingTheKnownOnes) {
  Status s = validate_families({"norm", "flash"});
  ASSERT_FALSE(s.ok());
  ASSERT_EQ(s.errors().size(), 1u);
  EXPECT_EQ(s.errors()[0].kind, ErrorKind::kBadInput);
  EXPECT_NE(s.errors()[0].message.find("--ops: unknown op family 'flash' (expected one of gemm.bf16,"),
            std::string::npos);
  // Bad flags are reported before looking for a GPU, so they are exit 2 everywhere.
  HarnessSpec spec;
  spec.families = {"flash"};
  auto r = run_harness(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].kind, ErrorKind::kBadInput);
}

TEST(Harness, EveryFamilyHasADescription) {
  EXPECT_GE(harness_families().size(), 10u);
  for (const auto& [name, text] : harness_families()) EXPECT_FALSE(text.empty()) << name;
  EXPECT_TRUE(validate_families({}).ok());
}

TEST(DeviceInfo, VersionAndProvenanceFormatting) {
  EXPECT_EQ(cuda_version_string(13000), "13.0");
  EXPECT_EQ(cuda_version_string(12080), "12.8");
  DeviceInfo d;
  d.name = "NVIDIA H200";
  d.sm_count = 132;
  d.runtime_version = 13000;
  d.driver_release = "580.65.06";
  auto p = provenance_of(d);
  d.compute_major = 9;
  d.sm_clock_khz = 1980000;
  p = provenance_of(d);
  // The keys `moesim calibrate` reads from kernel records (traces/calibration/README.md).
  EXPECT_EQ(p.at("gpu"), "h200");
  EXPECT_EQ(p.at("gpu_name"), "NVIDIA H200");
  EXPECT_EQ(p.at("gpu_family"), "hopper");
  EXPECT_EQ(p.at("sm_count"), "132");
  EXPECT_EQ(p.at("sm_clock_mhz"), "1980");  // no NVML reading: the driver's peak clock
  EXPECT_EQ(p.at("driver"), "580.65.06");
  EXPECT_EQ(p.at("cuda"), "13.0");
  EXPECT_EQ(p.at("date").size(), 20u);  // 2026-11-22T07:30:00Z
  EXPECT_EQ(p.at("tool"), "moesim profile");
  EXPECT_FALSE(p.at("tool_version").empty());
}

}  // namespace
}  // namespace moesim::profiler::cupti
