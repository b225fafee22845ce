#include <gtest/gtest.h>

#include "sim/run_isolated.hpp"
#include "sim/smoke.hpp"

namespace moesim::sim {
namespace {

TEST(SmokeTest, OneTransferTakesBytesOverBandwidthPlusLatency) {
  Result<std::vector<double>> t = run_isolated([] {
    return std::vector<double>{run_smoke_transfer(1e9, 100e9, 1e-6).transfer_time_s};
  });
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR(t.value()[0], 1e9 / 100e9 + 1e-6, 1e-6);
}

}  // namespace
}  // namespace moesim::sim
