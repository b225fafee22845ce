// The SimGrid platform of a GPU cluster, built once per (child) process. Internal to sim/: the
// SimGrid types are only forward-declared here; the adapter that calls SimGrid's builder API lives
// in platform_simgrid.cpp (the API changes in SimGrid 3.35+, so it stays in one file).
//
//   scale-up domain (8 GPUs per HGX node, 72 for NVL72):      plane p fat-tree (GPU index p % planes):
//
//        gpu0  gpu1 ... gpu7                                   spine_p
//          \    |       /      one NVLink per GPU               /    \        aggregated uplinks
//           nvswitch_d                                       leaf_p0 ... leaf_pL  (oversubscription)
//                                                            /  |  \  ...
//                                                       gpu(node0, p) gpu(node1, p) ...  one NIC per GPU
//
// Example paths: gpu3 -> gpu5 of the same node: nvl3_UP, nvl5_DOWN.
// gpu3 of node 0 -> gpu3 of node 40 (other leaf): nic_UP, leaf uplink UP, leaf uplink DOWN, nic_DOWN.
#pragma once

#include <vector>

#include "models/hardware_spec.hpp"
#include "sim/network_calibration.hpp"

namespace simgrid::s4u {
class Host;
}

namespace moesim::sim {

struct PlatformStats {
  int hosts = 0;
  int links = 0;
  int routers = 0;
  double nvlink_bw_bytes_per_s = 0;  // per GPU, one direction, after calibration
  double nic_bw_bytes_per_s = 0;     // per GPU, one direction, after calibration
};

// SimGrid configuration shared by all of sim/: CM02 max-min without TCP corrections and the L07
// parallel-task host model (collectives are parallel tasks). Creates the process's one Engine.
// REQUIRES: called once per process, before build_platform.
void init_engine();

// Builds `nodes` nodes of `cluster` (all when nodes <= 0) and returns the GPUs, indexed
// node * gpus_per_node + local index.
// REQUIRES: init_engine() called; cluster validated (positive sizes and bandwidths).
std::vector<simgrid::s4u::Host*> build_platform(const models::ClusterSpec& cluster,
                                                const NetworkCalibration& cal, int nodes,
                                                PlatformStats* stats);

}  // namespace moesim::sim
