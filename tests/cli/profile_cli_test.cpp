// `moesim profile`: without a GPU (or without CUPTI in the build) it exits 4 with exactly one line
// and writes nothing; bad flags are exit 2 before any GPU is looked for.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/cli/run_moesim.hpp"

namespace moesim::testing {
namespace {

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

TEST(ProfileCli, WithoutAGpuExitsFourWithOneLine) {
  const std::string out = write_temp_file("profile_probe.txt", "") + ".calibration.json";
  const RunResult r = run_moesim("profile --quick --ops norm --out " + out);
  if (r.exit_code == 0) GTEST_SKIP() << "a GPU is present: moesim profile ran";
  EXPECT_EQ(r.exit_code, 4) << r.err;
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  const std::string line = r.err_lines()[0];
  EXPECT_EQ(line.rfind("moesim: error: ", 0), 0u) << line;
  // Either "no CUDA GPU available: cudaGetDeviceCount returned 35 (...)" or, in a build without the
  // CUDA toolkit, "profiling unavailable: moesim was built without CUPTI ...".
  EXPECT_TRUE(line.find("no CUDA GPU available") != std::string::npos ||
              line.find("profiling unavailable") != std::string::npos)
      << line;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_FALSE(file_exists(out));
}

TEST(ProfileCli, OutIsRequired) {
  const RunResult r = run_moesim("profile --quick");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--out"), std::string::npos) << r.err;
}

TEST(ProfileCli, UnknownOpFamilyIsBadInput) {
  const RunResult r = run_moesim("profile --ops norm,flash --out /dev/null");
  if (r.exit_code == 4 && r.err.find("built without CUPTI") != std::string::npos) {
    GTEST_SKIP() << "built without CUPTI: the families are not known to this build";
  }
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("--ops: unknown op family 'flash'"), std::string::npos) << r.err;
}

TEST(ProfileCli, HelpListsTheFlags) {
  const RunResult r = run_moesim("profile --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--ops", "--quick", "--out", "--json", "--trace", "--report", "--records"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace moesim::testing
