// The injection library as the CUDA driver sees it: it exports InitializeInjection (and little
// else), and without a usable CUPTI it declines with one stderr line instead of failing the program.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "profiler/cupti/device_info.hpp"

namespace moesim::profiler::cupti {
namespace {

using InitFn = int (*)();

class InjectionLibrary : public ::testing::Test {
 protected:
  void SetUp() override {
    handle_ = dlopen(MOESIM_INJECT_LIB, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    init_ = reinterpret_cast<InitFn>(dlsym(handle_, "InitializeInjection"));
    ASSERT_NE(init_, nullptr) << "InitializeInjection is not exported";
  }
  void TearDown() override {
    unsetenv("MOESIM_PROFILE_KINDS");
  }
  void* handle_ = nullptr;  // left open: a loaded injection library is never unloaded by CUDA either
  InitFn init_ = nullptr;
};

TEST_F(InjectionLibrary, BadKindsListDeclinesWithOneLine) {
  setenv("MOESIM_PROFILE_KINDS", "kernel,bogus", 1);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(init_(), 0);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err,
            "moesim-inject: MOESIM_PROFILE_KINDS: unknown activity kind 'bogus' (expected a comma-separated list "
            "of kernel, memcpy, memset, all); not recording\n");
}

TEST_F(InjectionLibrary, WithoutAGpuDeclinesWithOneLine) {
  if (probe_device().ok()) GTEST_SKIP() << "GPU present: the injection would record";
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(init_(), 0);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.rfind("moesim-inject: profiling unavailable: cupti", 0), 0u) << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;
}

}  // namespace
}  // namespace moesim::profiler::cupti
