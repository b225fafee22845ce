// DeepSeek's EPLB, step for step as described in shared/reference/eplb.md.
#include "planner/eplb.hpp"

#include <algorithm>
#include <numeric>

namespace moesim::planner {
namespace {

// Indices sorted by descending weight; equal weights keep index order.
std::vector<int> descending_order(const std::vector<double>& weight) {
  std::vector<int> order(weight.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return weight[a] > weight[b]; });
  return order;
}

struct LayerResult {
  std::vector<int> physical_to_logical;
  std::vector<int> replica_rank;  // [slot]
};

// One layer of the hierarchical policy; the global policy is this with groups = nodes = 1.
LayerResult place_layer(const std::vector<double>& load, const PlacementSpec& s) {
  const int experts = static_cast<int>(load.size());
  const int group_size = experts / s.groups, groups_per_node = s.groups / s.nodes;
  const int experts_per_node = experts / s.nodes, slots_per_node = s.replicas / s.nodes;
  const int gpus_in_node = s.gpus / s.nodes, per_gpu = s.replicas / s.gpus;

  // Step 1: pack groups onto nodes; renumber experts so node k owns a contiguous block.
  std::vector<double> group_load(s.groups, 0.0);
  for (int e = 0; e < experts; ++e) group_load[e / group_size] += load[e];
  const Packing group_pack = balanced_packing(group_load, s.nodes);
  std::vector<int> node_local_to_logical(experts);  // "mlog2log"
  for (int e = 0; e < experts; ++e) {
    const int g = e / group_size;
    const int mlog = (group_pack.pack[g] * groups_per_node + group_pack.rank_in_pack[g]) * group_size + e % group_size;
    node_local_to_logical[mlog] = e;
  }

  LayerResult out{std::vector<int>(s.replicas), std::vector<int>(s.replicas)};
  for (int node = 0; node < s.nodes; ++node) {
    // Step 2: replicate the node's experts into its slots.
    std::vector<double> node_load(experts_per_node);
    for (int i = 0; i < experts_per_node; ++i) node_load[i] = load[node_local_to_logical[node * experts_per_node + i]];
    const Replication rep = replicate_experts(node_load, slots_per_node);
    // Step 3: pack the node's physical experts onto its GPUs; slot = gpu * per_gpu + rank in pack.
    std::vector<double> replica_load(slots_per_node);
    for (int p = 0; p < slots_per_node; ++p) replica_load[p] = node_load[rep.slot_to_expert[p]] / rep.count[rep.slot_to_expert[p]];
    const Packing gpu_pack = balanced_packing(replica_load, gpus_in_node);
    for (int p = 0; p < slots_per_node; ++p) {
      const int slot = node * slots_per_node + gpu_pack.pack[p] * per_gpu + gpu_pack.rank_in_pack[p];
      out.physical_to_logical[slot] = node_local_to_logical[node * experts_per_node + rep.slot_to_expert[p]];
      out.replica_rank[slot] = rep.replica_rank[p];
    }
  }
  return out;
}

}  // namespace

Packing balanced_packing(const std::vector<double>& weight, int num_packs) {
  const int n = static_cast<int>(weight.size()), per_pack = n / num_packs;
  Packing out{std::vector<int>(n), std::vector<int>(n)};
  if (per_pack == 1) {
    std::iota(out.pack.begin(), out.pack.end(), 0);
    std::fill(out.rank_in_pack.begin(), out.rank_in_pack.end(), 0);
    return out;
  }
  std::vector<double> pack_weight(num_packs, 0.0);
  std::vector<int> pack_items(num_packs, 0);
  for (int item : descending_order(weight)) {
    int best = -1;
    for (int k = 0; k < num_packs; ++k) {
      if (pack_items[k] < per_pack && (best < 0 || pack_weight[k] < pack_weight[best])) best = k;
    }
    out.pack[item] = best;
    out.rank_in_pack[item] = pack_items[best]++;
    pack_weight[best] += weight[item];
  }
  return out;
}

Replication replicate_experts(const std::vector<double>& weight, int num_slots) {
  const int n = static_cast<int>(weight.size());
  Replication out{std::vector<int>(num_slots), std::vector<int>(num_slots, 0), std::vector<int>(n, 1)};
  std::iota(out.slot_to_expert.begin(), out.slot_to_expert.begin() + n, 0);
  for (int p = n; p < num_slots; ++p) {
    int best = 0;
    for (int e = 1; e < n; ++e) {
      if (weight[e] / out.count[e] > weight[best] / out.count[best]) best = e;
    }
    out.slot_to_expert[p] = best;
    out.replica_rank[p] = out.count[best]++;
  }
  return out;
}

PlacementPlan place_deepseek(const LoadMatrix& loads, const PlacementSpec& spec) {
  PlacementSpec layout = spec;
  if (!is_hierarchical(spec)) layout.groups = layout.nodes = 1;
  PlacementPlan plan;
  std::vector<std::vector<int>> ranks;
  for (const auto& load : loads) {
    LayerResult r = place_layer(load, layout);
    plan.physical_to_logical.push_back(std::move(r.physical_to_logical));
    ranks.push_back(std::move(r.replica_rank));
  }
  const int experts = loads.empty() ? 0 : static_cast<int>(loads[0].size());
  fill_logical_maps(&plan, spec, experts);
  // The reference numbers replicas by replication order, not slot order: overwrite with its ranks.
  for (size_t l = 0; l < loads.size(); ++l) {
    for (int p = 0; p < spec.replicas; ++p) plan.logical_to_physical[l][plan.physical_to_logical[l][p]][ranks[l][p]] = p;
  }
  return plan;
}

}  // namespace moesim::planner
