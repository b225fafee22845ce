#include "sim/all_to_all.hpp"

#include <gtest/gtest.h>

#include "configs/catalog.hpp"

namespace moesim::sim {
namespace {

struct Fixture : ::testing::Test {
  models::ModelSpec model = configs::load_model("deepseek-v3").value();
  models::ClusterSpec cluster = configs::load_cluster("deepseek-h800-2048").value();
};

using AllToAllTest = Fixture;

// Golden: the embedded calibration reproduces DeepEP's T3 bandwidths within 15 % (they are its fit
// target; the fit's worst cell is ~1 %).
TEST_F(AllToAllTest, EmbeddedCalibrationReproducesT3) {
  const NetworkCalibration cal = embedded_network_calibration("h800");
  ASSERT_NE(cal.source, "uncalibrated");
  struct Cell {
    int ep;
    double dispatch, combine;
  };
  for (const Cell& c : {Cell{8, 153e9, 158e9}, Cell{16, 43e9, 43e9}, Cell{32, 58e9, 57e9}, Cell{64, 51e9, 50e9}}) {
    AllToAllSpec spec;
    spec.ep = c.ep;
    Result<AllToAllResult> r = simulate_all_to_all(model, cluster, cal, spec);
    ASSERT_TRUE(r.ok()) << r.errors()[0].message;
    EXPECT_EQ(r.value().internode, c.ep > 8);
    EXPECT_NEAR(r.value().dispatch_bottleneck_bw_bytes_per_s / c.dispatch, 1.0, 0.15) << "EP" << c.ep;
    EXPECT_NEAR(r.value().combine_bottleneck_bw_bytes_per_s / c.combine, 1.0, 0.15) << "EP" << c.ep;
  }
}

// Intranode with unit factors: the busiest NVLink carries the time. BF16 combine moves
// 2 / (1 + 4/128) times the FP8 dispatch's bytes, so it takes about that much longer.
TEST_F(AllToAllTest, CombineOfBf16TakesTheByteRatioLonger) {
  NetworkCalibration unit;
  AllToAllSpec spec;
  spec.ep = 8;
  spec.tokens_per_rank = 1024;
  Result<AllToAllResult> r = simulate_all_to_all(model, cluster, unit, spec);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r.value().combine_s / r.value().dispatch_s, 2.0 / (1 + 4.0 / 128), 0.05);
  EXPECT_DOUBLE_EQ(r.value().dispatch_rdma_only_s, 0.0);
}

TEST_F(AllToAllTest, RejectsEpThatDoesNotDivideExperts) {
  AllToAllSpec spec;
  spec.ep = 24;
  Result<AllToAllResult> r = simulate_all_to_all(model, cluster, {}, spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].message, "ep=24 does not divide num_routed_experts=256");
}

TEST_F(AllToAllTest, RejectsEpThatSplitsANode) {
  models::ModelSpec m = model;
  m.moe.num_routed_experts = 240;  // divisible by 12 and by the groups
  AllToAllSpec spec;
  spec.ep = 12;
  Result<AllToAllResult> r = simulate_all_to_all(m, cluster, {}, spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].message, "ep=12 must be a multiple of gpus_per_node=8");
}

TEST_F(AllToAllTest, RejectsEpLargerThanTheCluster) {
  AllToAllSpec spec;
  spec.ep = 4096;
  Result<AllToAllResult> r = simulate_all_to_all(model, cluster, {}, spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].message, "ep=4096 must be in [1, 2048]");
}

}  // namespace
}  // namespace moesim::sim
