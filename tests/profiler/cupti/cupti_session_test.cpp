// Live-capture plumbing that can be checked without a GPU: the kinds list, the buffer-size check,
// and that a CUPTI failure is "profiling unavailable" (kNoDevice), never a crash.
#include <gtest/gtest.h>

#include "profiler/cupti/cupti_session.hpp"
#include "profiler/cupti/device_info.hpp"

namespace moesim::profiler::cupti {
namespace {

TEST(CaptureKinds, ParsesListsAndAll) {
  auto only_kernels = parse_capture_kinds("kernel", "MOESIM_PROFILE_KINDS");
  ASSERT_TRUE(only_kernels.ok());
  EXPECT_TRUE(only_kernels.value().kernels);
  EXPECT_FALSE(only_kernels.value().memcpy);
  EXPECT_FALSE(only_kernels.value().memset);
  auto two = parse_capture_kinds("memcpy,memset", "x");
  ASSERT_TRUE(two.ok());
  EXPECT_FALSE(two.value().kernels);
  EXPECT_TRUE(two.value().memcpy && two.value().memset);
  auto all = parse_capture_kinds("all", "x");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all.value().kernels && all.value().memcpy && all.value().memset);
}

TEST(CaptureKinds, UnknownKindNamesTheSourceAndValue) {
  auto bad = parse_capture_kinds("kernel,nvlink", "MOESIM_PROFILE_KINDS");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.errors()[0].kind, ErrorKind::kBadInput);
  EXPECT_EQ(bad.errors()[0].message,
            "MOESIM_PROFILE_KINDS: unknown activity kind 'nvlink' (expected a comma-separated list of kernel, "
            "memcpy, memset, all)");
  auto empty = parse_capture_kinds(",", "MOESIM_PROFILE_KINDS");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.errors()[0].message.find("names no activity kind"), std::string::npos);
}

TEST(CuptiSession, RejectsBuffersCuptiCannotUse) {
  CaptureSpec spec;
  spec.buffer_bytes = 1001;
  auto s = CuptiSession::start(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.errors()[0].kind, ErrorKind::kBadInput);
  EXPECT_NE(s.errors()[0].message.find("multiple of 8"), std::string::npos);
}

TEST(CuptiSession, WithoutAGpuStartIsProfilingUnavailable) {
  if (probe_device().ok()) GTEST_SKIP() << "a GPU is present: covered by the gpu-labelled tests";
  auto s = CuptiSession::start(CaptureSpec{});
  ASSERT_FALSE(s.ok());  // here: cuptiActivityEnable returns 999 without a driver
  EXPECT_EQ(s.errors()[0].kind, ErrorKind::kNoDevice);
  EXPECT_EQ(s.errors()[0].message.rfind("profiling unavailable: cupti", 0), 0u) << s.errors()[0].message;
  // A failed start leaves nothing behind: a second attempt fails the same way, not as "already running".
  auto again = CuptiSession::start(CaptureSpec{});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.errors()[0].kind, ErrorKind::kNoDevice);
}

TEST(CuptiResult, DescribesCallCodeAndName) {
  EXPECT_EQ(describe_cupti_result("cuptiActivityEnable", 999),
            "cuptiActivityEnable returned 999 (CUPTI_ERROR_UNKNOWN)");
}

}  // namespace
}  // namespace moesim::profiler::cupti
