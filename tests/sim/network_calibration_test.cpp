#include "sim/network_calibration.hpp"

#include <gtest/gtest.h>

namespace moesim::sim {
namespace {

TEST(NetworkCalibrationTest, ParsesFittedFactors) {
  Result<NetworkCalibration> c = parse_network_calibration(
      R"({"fitted": {"nvlink_efficiency": 0.8, "nvlink_forward_efficiency": 0.7, "rdma_efficiency": 0.9,
                     "collective_latency_s": 1e-5}})",
      "x.json");
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ(c.value().nvlink_forward_efficiency, 0.7);
  EXPECT_EQ(c.value().source, "x.json");
}

TEST(NetworkCalibrationTest, RejectsMalformedJson) {
  Result<NetworkCalibration> c = parse_network_calibration("{", "x.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.errors()[0].message, "x.json: not valid JSON");
}

TEST(NetworkCalibrationTest, RejectsMissingFittedObject) {
  Result<NetworkCalibration> c = parse_network_calibration("{}", "x.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.errors()[0].message, "x.json: fitted: missing; expected an object of fitted factors");
}

TEST(NetworkCalibrationTest, ReportsEveryMissingOrOutOfRangeFactor) {
  Result<NetworkCalibration> c = parse_network_calibration(
      R"({"fitted": {"nvlink_efficiency": 3, "rdma_efficiency": 0.9, "collective_latency_s": 0}})", "x.json");
  ASSERT_FALSE(c.ok());
  ASSERT_EQ(c.errors().size(), 2u);
  EXPECT_NE(c.errors()[0].message.find("fitted.nvlink_efficiency: 3.000000; expected a value in"), std::string::npos);
  EXPECT_EQ(c.errors()[1].message, "x.json: fitted.nvlink_forward_efficiency: missing; expected a number");
}

TEST(NetworkCalibrationTest, EmbeddedH800FileIsValidAndUnknownGpusAreUncalibrated) {
  EXPECT_EQ(embedded_network_calibration("h800").source, "traces/calibration/network-h800.json");
  const NetworkCalibration none = embedded_network_calibration("mi300x");
  EXPECT_EQ(none.source, "uncalibrated");
  EXPECT_DOUBLE_EQ(none.rdma_efficiency, 1.0);
}

}  // namespace
}  // namespace moesim::sim
