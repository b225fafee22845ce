#include "sim/token_router.hpp"

#include <algorithm>
#include <numeric>

namespace moesim::sim {

namespace {

// splitmix64: tiny, fast and identical on every platform (std distributions are not).
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
};

// Indices of the `k` largest values (ties broken by index, for determinism).
std::vector<int> top_k(const std::vector<double>& v, int k) {
  std::vector<int> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min<int>(k, static_cast<int>(v.size()));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int a, int b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
  idx.resize(k);
  return idx;
}

// 1. group-limited: keep the top groups by the sum of their two best scores;
// 2. node-limited: keep the top nodes by the sum of their best k/M scores;
// 3. top-k over the experts left.
std::vector<int> choose_experts(const models::MoeSpec& moe, const std::vector<double>& score,
                                int experts_per_node) {
  const int e = static_cast<int>(moe.num_routed_experts);
  std::vector<double> masked = score;
  const int groups = static_cast<int>(std::max<int64_t>(1, moe.num_expert_groups));
  if (groups > 1 && moe.groups_per_token < groups) {
    const int per_group = e / groups;
    std::vector<double> group_score(groups);
    for (int g = 0; g < groups; ++g) {
      std::vector<double> s(score.begin() + g * per_group, score.begin() + (g + 1) * per_group);
      std::partial_sort(s.begin(), s.begin() + std::min(2, per_group), s.end(), std::greater<>());
      group_score[g] = s[0] + (per_group > 1 ? s[1] : 0.0);
    }
    std::vector<bool> keep(groups, false);
    for (int g : top_k(group_score, static_cast<int>(moe.groups_per_token))) keep[g] = true;
    for (int i = 0; i < e; ++i)
      if (!keep[i / per_group]) masked[i] = -1.0;
  }
  const int nodes = (e + experts_per_node - 1) / experts_per_node;
  const int max_nodes = static_cast<int>(moe.max_nodes_per_token);
  if (max_nodes > 0 && nodes > max_nodes) {
    const int per_node_best = std::max<int>(1, static_cast<int>(moe.experts_per_token) / max_nodes);
    std::vector<double> node_score(nodes);
    for (int n = 0; n < nodes; ++n) {
      std::vector<double> s(masked.begin() + n * experts_per_node,
                            masked.begin() + std::min(e, (n + 1) * experts_per_node));
      const int take = std::min<int>(per_node_best, static_cast<int>(s.size()));
      std::partial_sort(s.begin(), s.begin() + take, s.end(), std::greater<>());
      node_score[n] = std::accumulate(s.begin(), s.begin() + take, 0.0);
    }
    std::vector<bool> keep(nodes, false);
    for (int n : top_k(node_score, max_nodes)) keep[n] = true;
    for (int i = 0; i < e; ++i)
      if (!keep[i / experts_per_node]) masked[i] = -1.0;
  }
  return top_k(masked, static_cast<int>(moe.experts_per_token));
}

}  // namespace

TokenTraffic route_tokens(const models::MoeSpec& moe, const EpLayout& layout, const RoutingSpec& routing) {
  TokenTraffic t;
  t.ranks = layout.ranks;
  t.ranks_per_node = std::min(layout.ranks_per_node, layout.ranks);
  t.nodes = (t.ranks + t.ranks_per_node - 1) / t.ranks_per_node;
  const int experts_per_rank = static_cast<int>(moe.num_routed_experts) / t.ranks;
  t.rdma_tokens.assign(static_cast<size_t>(t.ranks) * t.nodes, 0.0);
  t.nvl_tokens.assign(static_cast<size_t>(t.ranks) * t.ranks, 0.0);
  t.expert_rows.assign(t.ranks, 0.0);
  Rng rng{routing.seed * 0x100000001B3ull + 12345};
  std::vector<double> score(moe.num_routed_experts);
  double logical_rdma = 0, logical_nvl = 0;
  for (int src = 0; src < t.ranks; ++src) {
    const int src_node = src / t.ranks_per_node, local = src % t.ranks_per_node;
    for (int64_t tok = 0; tok < routing.tokens_per_rank; ++tok) {
      for (double& s : score) s = rng.uniform();
      std::vector<bool> rank_hit(t.ranks, false), node_hit(t.nodes, false);
      for (int ex : choose_experts(moe, score, experts_per_rank * t.ranks_per_node)) {
        const int r = ex / experts_per_rank;
        t.expert_rows[r] += 1;
        rank_hit[r] = true;
        node_hit[r / t.ranks_per_node] = true;
      }
      for (int n = 0; n < t.nodes; ++n) {
        if (!node_hit[n]) continue;
        logical_rdma += 1;
        if (n != src_node) t.rdma_tokens[static_cast<size_t>(src) * t.nodes + n] += 1;
      }
      for (int r = 0; r < t.ranks; ++r) {
        if (!rank_hit[r]) continue;
        logical_nvl += 1;
        const int node = r / t.ranks_per_node;
        // The GPU with the sender's local index on the target node forwards over NVLink.
        const int fwd = std::min(node * t.ranks_per_node + local, t.ranks - 1);
        if (fwd != r) t.nvl_tokens[static_cast<size_t>(fwd) * t.ranks + r] += 1;
      }
    }
  }
  t.logical_rdma_tokens_per_rank = logical_rdma / t.ranks;
  t.logical_nvl_tokens_per_rank = logical_nvl / t.ranks;
  const double mean = std::accumulate(t.expert_rows.begin(), t.expert_rows.end(), 0.0) / t.ranks;
  t.max_over_mean_expert_rows =
      mean > 0 ? *std::max_element(t.expert_rows.begin(), t.expert_rows.end()) / mean : 1.0;
  return t;
}

}  // namespace moesim::sim
