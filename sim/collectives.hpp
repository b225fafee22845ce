// Collectives on a built platform, each run as SimGrid parallel tasks (L07): an all-to-all-v with
// DeepEP's RDMA-then-NVLink paths, hierarchical and single-ring reduce-scatter / all-gather, and
// point-to-point sends. Internal to sim/; call only inside run_isolated() after init_engine() and build_platform().
#pragma once

#include <vector>

#include "sim/network_calibration.hpp"
#include "sim/token_router.hpp"

namespace simgrid::s4u {
class Host;
}

namespace moesim::sim {

using HostList = std::vector<simgrid::s4u::Host*>;

// Runs one parallel task moving bytes[i * n + j] from hosts[i] to hosts[j]; returns its duration.
double run_transfer_matrix(const HostList& hosts, const std::vector<double>& bytes);

// Byte matrix of an expert-parallel dispatch (combine = its transpose) over the EP group's hosts,
// indexed like `traffic` ranks.
enum class TrafficPart { kAll, kNvlinkOnly, kRdmaOnly };
std::vector<double> dispatch_matrix(const TokenTraffic& traffic, double token_bytes,
                                    const NetworkCalibration& cal, TrafficPart part = TrafficPart::kAll);
std::vector<double> transpose(const std::vector<double>& m, int n);

// Seconds for one dispatch (or combine) of `token_bytes`-sized tokens, including the calibrated
// per-collective latency.
double all_to_all_time(const HostList& ep_hosts, const TokenTraffic& traffic, double token_bytes,
                       bool combine, const NetworkCalibration& cal, TrafficPart part = TrafficPart::kAll);

// Seconds for a send of `bytes` from a to b.
double point_to_point_time(simgrid::s4u::Host* a, simgrid::s4u::Host* b, double bytes,
                           const NetworkCalibration& cal);

// Hierarchical ring reduce-scatter (or all-gather: same traffic) of `bytes_per_rank` over `group`
// (global GPU indices into `all_hosts`): a ring inside each node over NVLink, then one ring per
// local GPU index across nodes over that GPU's NIC, on 1/k of the data.
double hierarchical_reduce_scatter_time(const HostList& all_hosts, const std::vector<int>& group,
                                        int gpus_per_node, double bytes_per_rank,
                                        double nvlink_latency_s, double nic_latency_s,
                                        const NetworkCalibration& cal);

// One ring reduce-scatter (or all-gather) of `bytes_per_rank` (the full tensor) over `group`:
// each GPU sends (k-1)/k of it to its ring neighbour, plus the calibrated collective latency and
// `step_latency_s` for each ring step after the first. Used for TP groups inside a node.
double ring_collective_time(const HostList& all_hosts, const std::vector<int>& group, double bytes_per_rank,
                            double step_latency_s, const NetworkCalibration& cal);

}  // namespace moesim::sim
