#include "sim/all_to_all.hpp"

#include <string>

#include "sim/collectives.hpp"
#include "sim/platform.hpp"
#include "sim/run_isolated.hpp"

namespace moesim::sim {

namespace {

std::vector<Error> check(const models::ModelSpec& model, const models::ClusterSpec& c, const AllToAllSpec& s) {
  std::vector<Error> errors;
  const std::string ep = "ep=" + std::to_string(s.ep);
  if (!model.is_moe) errors.push_back(bad_input("model " + model.name + " has no routed experts"));
  if (s.ep < 1 || s.ep > models::total_gpus(c))
    errors.push_back(bad_input(ep + " must be in [1, " + std::to_string(models::total_gpus(c)) + "]"));
  else if (model.is_moe && model.moe.num_routed_experts % s.ep != 0)
    errors.push_back(bad_input(ep + " does not divide num_routed_experts=" +
                               std::to_string(model.moe.num_routed_experts)));
  else if (s.ep > c.gpus_per_node && s.ep % c.gpus_per_node != 0)
    errors.push_back(bad_input(ep + " must be a multiple of gpus_per_node=" + std::to_string(c.gpus_per_node)));
  if (s.tokens_per_rank < 1) errors.push_back(bad_input("tokens_per_rank must be >= 1"));
  return errors;
}

}  // namespace

Result<AllToAllResult> simulate_all_to_all(const models::ModelSpec& model, const models::ClusterSpec& cluster,
                                           const NetworkCalibration& cal, const AllToAllSpec& spec) {
  if (auto errors = check(model, cluster, spec); !errors.empty()) return errors;
  const double h = static_cast<double>(model.hidden_size);
  const double dispatch_bytes = spec.dispatch_bytes_per_token > 0 ? spec.dispatch_bytes_per_token : h * (1 + 4.0 / 128);
  const double combine_bytes = spec.combine_bytes_per_token > 0 ? spec.combine_bytes_per_token : h * 2;
  const EpLayout layout{spec.ep, std::min(spec.ep, cluster.gpus_per_node)};
  const TokenTraffic traffic = route_tokens(model.moe, layout, {spec.tokens_per_rank, spec.seed});
  const int nodes = layout.nodes();
  Result<std::vector<double>> times = run_isolated([&] {
    init_engine();
    const HostList hosts = build_platform(cluster, cal, nodes, nullptr);
    const HostList ep(hosts.begin(), hosts.begin() + spec.ep);
    std::vector<double> out;
    for (TrafficPart part : {TrafficPart::kAll, TrafficPart::kNvlinkOnly, TrafficPart::kRdmaOnly}) {
      const double lat = part == TrafficPart::kAll ? 0.0 : cal.collective_latency_s;
      out.push_back(all_to_all_time(ep, traffic, dispatch_bytes, false, cal, part) - lat);
      out.push_back(all_to_all_time(ep, traffic, combine_bytes, true, cal, part) - lat);
    }
    return out;
  });
  if (!times.ok()) return times.errors();
  AllToAllResult r;
  r.internode = nodes > 1;
  r.dispatch_s = times.value()[0];
  r.combine_s = times.value()[1];
  const double logical = r.internode ? traffic.logical_rdma_tokens_per_rank : traffic.logical_nvl_tokens_per_rank;
  r.dispatch_nvlink_only_s = times.value()[2];
  r.combine_nvlink_only_s = times.value()[3];
  r.dispatch_rdma_only_s = times.value()[4];
  r.combine_rdma_only_s = times.value()[5];
  r.logical_bytes_dispatch = logical * dispatch_bytes;
  r.logical_bytes_combine = logical * combine_bytes;
  r.dispatch_bottleneck_bw_bytes_per_s = r.logical_bytes_dispatch / r.dispatch_s;
  r.combine_bottleneck_bw_bytes_per_s = r.logical_bytes_combine / r.combine_s;
  r.max_over_mean_expert_rows = traffic.max_over_mean_expert_rows;
  return r;
}

}  // namespace moesim::sim
