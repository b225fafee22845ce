// Hand-checkable transfers on a tiny platform: 2 nodes x 2 GPUs, NVLink 100 GB/s, NIC 10 GB/s.
#include <gtest/gtest.h>

#include "sim/collectives.hpp"
#include "sim/platform.hpp"
#include "sim/run_isolated.hpp"

namespace moesim::sim {
namespace {

models::ClusterSpec tiny_cluster(int planes) {
  models::ClusterSpec c;
  c.name = "tiny";
  c.nodes = 2;
  c.gpus_per_node = 2;
  c.gpu.scale_up_bw_bytes_per_s = 200e9;  // both directions: 100 GB/s one way
  c.gpu.nic_bw_bytes_per_s = 10e9;
  c.scale_up.domain_gpus = 2;
  c.scale_up.latency_s = 2e-6;
  c.scale_out.latency_same_leaf_s = 4e-6;
  c.scale_out.latency_cross_leaf_s = 6e-6;
  c.scale_out.planes = planes;
  return c;
}

NetworkCalibration unit() {
  NetworkCalibration cal;
  cal.source = "unit";
  return cal;
}

TEST(PlatformTest, CountsHostsLinksAndRouters) {
  Result<std::vector<double>> r = run_isolated([] {
    init_engine();
    PlatformStats st;
    build_platform(tiny_cluster(2), unit(), 0, &st);
    return std::vector<double>{double(st.hosts), double(st.links), double(st.routers), st.nvlink_bw_bytes_per_s,
                               st.nic_bw_bytes_per_s};
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()[0], 4);    // GPUs
  EXPECT_EQ(r.value()[1], 8);    // 4 NVLinks + 4 NICs (one leaf per plane: no uplinks)
  EXPECT_EQ(r.value()[2], 4);    // 2 NVSwitches + 2 leaves
  EXPECT_EQ(r.value()[3], 100e9);
  EXPECT_EQ(r.value()[4], 10e9);
}

TEST(PlatformTest, IntraNodeGoesOverNvlinkInterNodeOverTheNic) {
  Result<std::vector<double>> r = run_isolated([] {
    init_engine();
    const HostList h = build_platform(tiny_cluster(2), unit(), 0, nullptr);
    return std::vector<double>{point_to_point_time(h[0], h[1], 1e9, unit()),
                               point_to_point_time(h[0], h[2], 1e9, unit())};
  });
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r.value()[0], 1e9 / 100e9 + 2e-6, 1e-7);  // nvl up + nvl down, 1 us each
  EXPECT_NEAR(r.value()[1], 1e9 / 10e9 + 4e-6, 1e-7);   // nic up + nic down, 2 us each
}

TEST(PlatformTest, CalibrationScalesLinkBandwidth) {
  Result<std::vector<double>> r = run_isolated([] {
    init_engine();
    NetworkCalibration cal = unit();
    cal.nvlink_efficiency = 0.5;
    cal.rdma_efficiency = 0.8;
    cal.collective_latency_s = 10e-6;
    const HostList h = build_platform(tiny_cluster(2), cal, 0, nullptr);
    return std::vector<double>{point_to_point_time(h[0], h[1], 1e9, cal), point_to_point_time(h[0], h[2], 1e9, cal)};
  });
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r.value()[0], 1e9 / 50e9 + 2e-6 + 10e-6, 1e-7);
  EXPECT_NEAR(r.value()[1], 1e9 / 8e9 + 4e-6 + 10e-6, 1e-7);
}

TEST(PlatformTest, OppositeDirectionsOfAnNvlinkDoNotShare) {
  Result<std::vector<double>> r = run_isolated([] {
    init_engine();
    const HostList h = build_platform(tiny_cluster(2), unit(), 0, nullptr);
    // GPU0 and GPU1 send to each other at once: split-duplex links carry both at full rate.
    std::vector<double> m(16, 0.0);
    m[0 * 4 + 1] = 1e9;
    m[1 * 4 + 0] = 1e9;
    return std::vector<double>{run_transfer_matrix(h, m)};
  });
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r.value()[0], 1e9 / 100e9 + 2e-6, 1e-7);
}

TEST(PlatformTest, TwoSendersIntoOneGpuShareItsNvlink) {
  Result<std::vector<double>> r = run_isolated([] {
    init_engine();
    models::ClusterSpec c = tiny_cluster(2);
    c.gpus_per_node = 4;
    c.scale_up.domain_gpus = 4;
    const HostList h = build_platform(c, unit(), 0, nullptr);
    std::vector<double> m(64, 0.0);
    m[1 * 8 + 0] = 1e9;  // GPU1 -> GPU0
    m[2 * 8 + 0] = 1e9;  // GPU2 -> GPU0
    return std::vector<double>{run_transfer_matrix(h, m)};
  });
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r.value()[0], 2e9 / 100e9 + 2e-6, 1e-7);  // GPU0's NVLink down-link carries both
}

TEST(PlatformTest, HierarchicalReduceScatterOfFourGpus) {
  Result<std::vector<double>> r = run_isolated([] {
    init_engine();
    const HostList h = build_platform(tiny_cluster(2), unit(), 0, nullptr);
    return std::vector<double>{hierarchical_reduce_scatter_time(h, {0, 1, 2, 3}, 2, 4e9, 2e-6, 6e-6, unit())};
  });
  ASSERT_TRUE(r.ok());
  // Inside nodes: ring of 2 moves half of 4 GB over NVLink (20 ms + 2 us); across nodes: ring of 2
  // per local index moves half of the remaining 2 GB over the NIC (100 ms + 4 us).
  EXPECT_NEAR(r.value()[0], 2e9 / 100e9 + 2e-6 + 1e9 / 10e9 + 4e-6, 1e-6);
}

// NVL72-style: a scale-up domain of 4 GPUs spans two 2-GPU nodes, so GPU 0 reaches GPU 3 (other
// node, other index) over NVLink.
TEST(PlatformTest, ScaleUpDomainLargerThanANodeIsOneStar) {
  Result<std::vector<double>> r = run_isolated([] {
    init_engine();
    models::ClusterSpec c = tiny_cluster(2);
    c.scale_up.domain_gpus = 4;
    PlatformStats st;
    const HostList h = build_platform(c, unit(), 0, &st);
    return std::vector<double>{point_to_point_time(h[0], h[3], 1e9, unit()), double(st.routers)};
  });
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r.value()[0], 1e9 / 100e9 + 2e-6, 1e-7);
  EXPECT_EQ(r.value()[1], 3);  // one NVSwitch + one leaf per plane
}

// One GPU per node on one plane, 4-port leaves. Without oversubscription a leaf has 2 hosts and 2
// uplinks: two cross-leaf flows run at NIC speed. With 3:1 a leaf has 3 hosts and 1 uplink: three
// cross-leaf flows share it.
TEST(PlatformTest, OversubscribedLeafUplinksAreShared) {
  auto run = [](double oversubscription, std::vector<std::pair<int, int>> flows) {
    return run_isolated([=] {
      init_engine();
      models::ClusterSpec c = tiny_cluster(1);
      c.nodes = 6;
      c.gpus_per_node = 1;
      c.scale_up.domain_gpus = 1;
      c.scale_out.leaf_switch_ports = 4;
      c.scale_out.oversubscription = oversubscription;
      const HostList h = build_platform(c, unit(), 0, nullptr);
      std::vector<double> m(36, 0.0);
      for (auto [a, b] : flows) m[a * 6 + b] = 1e9;
      return std::vector<double>{run_transfer_matrix(h, m)};
    });
  };
  Result<std::vector<double>> full = run(1.0, {{0, 2}, {1, 3}});
  Result<std::vector<double>> over = run(3.0, {{0, 3}, {1, 4}, {2, 5}});
  ASSERT_TRUE(full.ok() && over.ok());
  EXPECT_NEAR(full.value()[0], 1e9 / 10e9 + 6e-6, 1e-6);      // cross-leaf latency 6 us
  EXPECT_NEAR(over.value()[0], 3 * 1e9 / 10e9 + 6e-6, 1e-6);  // three flows on one uplink
}

}  // namespace
}  // namespace moesim::sim
