#include "profiler/log_interpolator.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace moesim::profiler {
namespace {

TEST(LogInterpolator, PassesThroughMonotonePointsAndInterpolatesInLogSpace) {
  const LogInterpolator f({{1e-6, 10e-6}, {1e-4, 100e-6}, {1e-2, 10e-3}});
  EXPECT_NEAR(f.time_s(1e-6), 10e-6, 1e-15);
  EXPECT_NEAR(f.time_s(1e-4), 100e-6, 1e-15);
  EXPECT_NEAR(f.time_s(1e-5), std::sqrt(10e-6 * 100e-6), 1e-12);  // geometric midpoint
  EXPECT_NEAR(f.time_s(1e-8), 10e-6, 1e-15);                      // flat below the data
  EXPECT_NEAR(f.time_s(2e-2), 20e-3, 1e-12);                      // proportional above
  EXPECT_DOUBLE_EQ(f.extrapolation_log2(1e-3), 0.0);
  EXPECT_NEAR(f.extrapolation_log2(4e-2), 2.0, 1e-12);
}

TEST(LogInterpolator, NoisyDecreaseIsPooledToMonotone) {
  const LogInterpolator f({{1e-5, 50e-6}, {2e-5, 40e-6}, {4e-5, 90e-6}, {4e-5, 110e-6}});
  double last = 0;
  for (double tau = 1e-6; tau < 1e-3; tau *= 1.1) {
    const double t = f.time_s(tau);
    EXPECT_GE(t, last * (1 - 1e-12)) << tau;
    last = t;
  }
  EXPECT_NEAR(f.time_s(1e-5), std::sqrt(50e-6 * 40e-6), 1e-12);
}

TEST(LogInterpolator, LeaveOneOutOnAPowerLawIsExact) {
  std::vector<CurvePoint> pts;
  for (double tau = 1e-6; tau < 1e-2; tau *= 4) pts.push_back({tau, 2 * tau});
  const std::vector<double> loo = interpolation_loo_errors(pts);
  ASSERT_EQ(loo.size(), pts.size());
  for (size_t i = 1; i < loo.size(); ++i) EXPECT_LT(loo[i], 1e-9) << i;
  EXPECT_NEAR(loo.front(), 3.0, 1e-9);  // below the data the interpolant stays flat: 8 tau vs 2 tau
  EXPECT_TRUE(interpolation_loo_errors({{1e-6, 1e-6}, {1e-5, 1e-5}}).empty());
  EXPECT_DOUBLE_EQ(rms({0.3, 0.4}), std::sqrt((0.09 + 0.16) / 2));
}

}  // namespace
}  // namespace moesim::profiler
