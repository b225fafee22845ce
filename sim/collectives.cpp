#include "sim/collectives.hpp"

#include <simgrid/s4u.hpp>

#include <algorithm>
#include <map>
#include <vector>

namespace moesim::sim {

namespace sg4 = simgrid::s4u;

double run_transfer_matrix(const HostList& hosts, const std::vector<double>& bytes) {
  double total = 0;
  for (double b : bytes) total += b;
  if (total <= 0 || hosts.size() < 2) return 0.0;
  const std::vector<double> flops(hosts.size(), 0.0);
  sg4::ExecPtr task = sg4::Exec::init()->set_hosts(hosts)->set_flops_amounts(flops)->set_bytes_amounts(bytes);
  const double start = sg4::Engine::get_clock();
  task->start();
  sg4::Engine::get_instance()->run();
  return task->get_finish_time() - start;
}

std::vector<double> dispatch_matrix(const TokenTraffic& t, double token_bytes, const NetworkCalibration& cal,
                                    TrafficPart part) {
  const int n = t.ranks;
  std::vector<double> m(static_cast<size_t>(n) * n, 0.0);
  if (part != TrafficPart::kNvlinkOnly) {
    for (int src = 0; src < n; ++src) {
      const int local = src % t.ranks_per_node;
      for (int node = 0; node < t.nodes; ++node) {
        const double tokens = t.rdma_tokens[static_cast<size_t>(src) * t.nodes + node];
        const int dst = std::min(node * t.ranks_per_node + local, n - 1);
        if (tokens > 0 && dst != src) m[static_cast<size_t>(src) * n + dst] += tokens * token_bytes;
      }
    }
  }
  if (part != TrafficPart::kRdmaOnly) {
    // Forwarding in an internode kernel runs at nvlink_forward_efficiency, not nvlink_efficiency
    // (the link's rate): charge it as proportionally more bytes on the same links.
    const double scale = t.nodes > 1 ? cal.nvlink_efficiency / cal.nvlink_forward_efficiency : 1.0;
    for (size_t i = 0; i < m.size(); ++i) m[i] += t.nvl_tokens[i] * token_bytes * scale;
  }
  return m;
}

std::vector<double> transpose(const std::vector<double>& m, int n) {
  std::vector<double> t(m.size());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) t[static_cast<size_t>(j) * n + i] = m[static_cast<size_t>(i) * n + j];
  return t;
}

double all_to_all_time(const HostList& ep_hosts, const TokenTraffic& traffic, double token_bytes,
                       bool combine, const NetworkCalibration& cal, TrafficPart part) {
  std::vector<double> m = dispatch_matrix(traffic, token_bytes, cal, part);
  if (combine) m = transpose(m, traffic.ranks);
  return run_transfer_matrix(ep_hosts, m) + cal.collective_latency_s;
}

double point_to_point_time(sg4::Host* a, sg4::Host* b, double bytes, const NetworkCalibration& cal) {
  if (a == b || bytes <= 0) return 0.0;
  return run_transfer_matrix({a, b}, {0.0, bytes, 0.0, 0.0}) + cal.collective_latency_s;
}

namespace {

// One phase of ring reduce-scatters (or all-gathers) run at once, as one ptask over the `group`
// hosts: in each ring (global GPU indices, a subset of `group`) every member sends k-1 steps of
// 1/k of `bytes_per_rank` to its neighbour. Disjoint (or fairly shared) links keep rings apart.
double ring_phase_time(const HostList& all_hosts, const std::vector<int>& group,
                       const std::vector<std::vector<int>>& rings, double bytes_per_rank,
                       double step_latency_s, const NetworkCalibration& cal) {
  HostList hosts;
  std::map<int, int> slot;
  for (int g : group) {
    slot[g] = static_cast<int>(hosts.size());
    hosts.push_back(all_hosts[g]);
  }
  const int n = static_cast<int>(hosts.size());
  std::vector<double> m(static_cast<size_t>(n) * n, 0.0);
  size_t longest = 0;
  for (const std::vector<int>& ring : rings) {
    const size_t k = ring.size();
    longest = std::max(longest, k);
    if (k < 2) continue;
    const double per_step = bytes_per_rank / static_cast<double>(k);
    for (size_t i = 0; i < k; ++i)  // k-1 steps of 1/k of the data to the ring neighbour
      m[static_cast<size_t>(slot[ring[i]]) * n + slot[ring[(i + 1) % k]]] += per_step * (k - 1);
  }
  // The ptask charges one route latency; the ring's other k-2 steps each pay one more.
  const double steps = longest > 2 ? static_cast<double>(longest - 2) : 0.0;
  return run_transfer_matrix(hosts, m) + cal.collective_latency_s + steps * step_latency_s;
}

std::vector<std::vector<int>> rings_of(const std::map<int, std::vector<int>>& by_key) {
  std::vector<std::vector<int>> rings;
  for (const auto& [key, ring] : by_key) rings.push_back(ring);
  return rings;
}

}  // namespace

double hierarchical_reduce_scatter_time(const HostList& all_hosts, const std::vector<int>& group,
                                        int gpus_per_node, double bytes_per_rank,
                                        double nvlink_latency_s, double nic_latency_s,
                                        const NetworkCalibration& cal) {
  if (group.size() < 2 || bytes_per_rank <= 0) return 0.0;
  std::map<int, std::vector<int>> by_node, by_local;
  for (int g : group) {
    by_node[g / gpus_per_node].push_back(g);
    by_local[g % gpus_per_node].push_back(g);
  }
  const size_t per_node = by_node.begin()->second.size();
  double t = ring_phase_time(all_hosts, group, rings_of(by_node), bytes_per_rank, nvlink_latency_s, cal);
  t += ring_phase_time(all_hosts, group, rings_of(by_local), bytes_per_rank / static_cast<double>(per_node),
                       nic_latency_s, cal);
  return t;
}

double ring_collective_time(const HostList& all_hosts, const std::vector<int>& group, double bytes_per_rank,
                            double step_latency_s, const NetworkCalibration& cal) {
  if (group.size() < 2 || bytes_per_rank <= 0) return 0.0;
  return ring_phase_time(all_hosts, group, {group}, bytes_per_rank, step_latency_s, cal);
}

}  // namespace moesim::sim
