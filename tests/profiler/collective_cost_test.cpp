#include "profiler/collective_cost.hpp"

#include <gtest/gtest.h>

#include "test_gpus.hpp"

namespace moesim::profiler {
namespace {

// 2 nodes x 8 H800-like GPUs: 160 GB/s NVLink one way, 50 GB/s NIC at 0.8 efficiency.
models::ClusterSpec two_nodes() {
  models::ClusterSpec c;
  c.name = "test-2x8";
  c.gpu = testing::hopper("h800", 3.35e12);
  c.nodes = 2;
  c.gpus_per_node = 8;
  c.scale_up.domain_gpus = 8;
  c.scale_up.bw_bytes_per_s = 160e9;
  c.scale_up.latency_s = 3e-6;
  c.scale_out.nic_bw_bytes_per_s = 50e9;
  c.scale_out.efficiency = 0.8;
  c.scale_out.latency_cross_leaf_s = 4e-6;
  return c;
}

TEST(CollectiveCost, AllToAllInsideOneNodeUsesNvlinkOnly) {
  auto p = alltoall_time(8e6, 8, two_nodes());
  ASSERT_TRUE(p.ok());
  EXPECT_DOUBLE_EQ(p.value().scale_up_bytes, 7e6);
  EXPECT_DOUBLE_EQ(p.value().scale_out_bytes, 0);
  EXPECT_NEAR(p.value().estimate.time_s, 7e6 / 160e9 + 3e-6, 1e-15);
  EXPECT_EQ(p.value().estimate.source, "roofline");
  EXPECT_FALSE(p.value().estimate.calibrated);
}

TEST(CollectiveCost, AllToAllAcrossNodesIsNicBound) {
  auto p = alltoall_time(16e6, 16, two_nodes());
  ASSERT_TRUE(p.ok());
  EXPECT_DOUBLE_EQ(p.value().scale_up_bytes, 7e6);   // 7 local peers x 1 MB
  EXPECT_DOUBLE_EQ(p.value().scale_out_bytes, 8e6);  // 8 remote peers x 1 MB
  EXPECT_NEAR(p.value().estimate.time_s, 8e6 / 40e9 + 4e-6, 1e-15);
}

TEST(CollectiveCost, AllReduceRingAndHierarchical) {
  auto ring = allreduce_time(1e9, 8, two_nodes());
  ASSERT_TRUE(ring.ok());
  EXPECT_NEAR(ring.value().estimate.time_s, 2.0 * 7 / 8 * 1e9 / 160e9 + 14 * 3e-6, 1e-12);
  auto hier = allreduce_time(1e9, 16, two_nodes());
  ASSERT_TRUE(hier.ok());
  const double expected = 2.0 * 7 / 8 * 1e9 / 160e9 + 2.0 * 1 / 2 * (1e9 / 8) / 40e9 + 14 * 3e-6 + 2 * 4e-6;
  EXPECT_NEAR(hier.value().estimate.time_s, expected, 1e-12);
}

TEST(CollectiveCost, MoreBytesOrRanksNeverCostLess) {
  double last = 0;
  for (double bytes = 1e3; bytes < 1e10; bytes *= 3) {
    const double t = alltoall_time(bytes, 16, two_nodes()).value().estimate.time_s;
    EXPECT_GT(t, last);
    last = t;
  }
  last = 0;
  for (int g = 1; g <= 16; ++g) {
    const double t = allreduce_time(1e8, g, two_nodes()).value().estimate.time_s;
    EXPECT_GE(t, last) << g;
    last = t;
  }
}

TEST(CollectiveCost, BadInputAndInfeasible) {
  auto big = alltoall_time(1e6, 32, two_nodes());
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.errors()[0].kind, ErrorKind::kInfeasible);
  EXPECT_EQ(big.errors()[0].message, "--ep 32 needs more GPUs than cluster 'test-2x8' has (16)");
  auto zero = allreduce_time(0, 8, two_nodes());
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.errors()[0].kind, ErrorKind::kBadInput);
  EXPECT_FALSE(alltoall_time(1e6, 0, two_nodes()).ok());
}

}  // namespace
}  // namespace moesim::profiler
