#include "sim/serving/expert_routing.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "traces/expert_loads.hpp"

namespace moesim::sim::serving {

namespace {

std::vector<double> normalized(std::vector<double> v) {
  const double sum = std::accumulate(v.begin(), v.end(), 0.0);
  for (double& x : v) x /= sum;
  return v;
}

}  // namespace

Result<std::vector<double>> expert_popularity(const configs::ExpertLoadSpec& spec, int64_t num_experts, uint64_t seed) {
  const size_t n = static_cast<size_t>(num_experts);
  if (spec.kind == configs::ExpertLoadKind::kBalanced) return std::vector<double>(n, 1.0 / static_cast<double>(n));
  if (spec.kind == configs::ExpertLoadKind::kZipf) {
    std::vector<size_t> rank(n);
    std::iota(rank.begin(), rank.end(), 0);
    std::shuffle(rank.begin(), rank.end(), std::mt19937_64(seed ^ 0x5eedULL));
    std::vector<double> p(n);
    for (size_t e = 0; e < n; ++e) p[e] = 1.0 / std::pow(static_cast<double>(rank[e] + 1), spec.zipf_s);
    return normalized(p);
  }
  // SGLang's {"logical_count": ...}, a moesim routing trace or CSV (traces/expert_loads.hpp).
  Result<traces::LoadMatrix> rows = traces::read_loads_file(spec.path);
  if (!rows.ok()) return rows.errors();
  std::vector<double> sum(n, 0.0);
  for (const auto& r : rows.value()) {
    if (r.size() != n)
      return bad_input(spec.path + ": a row has " + std::to_string(r.size()) + " experts, expected " + std::to_string(n));
    for (size_t e = 0; e < n; ++e) sum[e] += r[e];
  }
  if (rows.value().empty() || std::accumulate(sum.begin(), sum.end(), 0.0) <= 0)
    return bad_input(spec.path + ": no expert load in the file, expected positive counts");
  for (double& x : sum) x += 1e-9;  // unseen experts still get a slot's worth of nothing
  return normalized(sum);
}

std::vector<int> greedy_placement(const std::vector<double>& popularity, int physical_slots, int gpus) {
  const int n = static_cast<int>(popularity.size());
  std::vector<int> replicas(static_cast<size_t>(n), 1);
  for (int extra = physical_slots - n; extra > 0; --extra) {  // step 2
    int best = 0;
    for (int e = 1; e < n; ++e)
      if (popularity[e] / replicas[e] > popularity[best] / replicas[best]) best = e;
    ++replicas[best];
  }
  std::vector<std::pair<double, int>> items;  // (load per replica, logical expert)
  for (int e = 0; e < n; ++e)
    for (int r = 0; r < replicas[e]; ++r) items.emplace_back(popularity[e] / replicas[e], e);
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  const int per_gpu = physical_slots / gpus;
  std::vector<double> load(static_cast<size_t>(gpus), 0.0);
  std::vector<int> used(static_cast<size_t>(gpus), 0), out(static_cast<size_t>(physical_slots), 0);
  for (const auto& [w, e] : items) {  // step 3
    int g = -1;
    for (int c = 0; c < gpus; ++c)
      if (used[c] < per_gpu && (g < 0 || load[c] < load[g])) g = c;
    out[static_cast<size_t>(g * per_gpu + used[g]++)] = e;
    load[g] += w;
  }
  return out;
}

Result<std::vector<int>> read_placement(const std::string& path, int physical_slots, int num_experts) {
  std::ifstream in(path);
  if (!in) return bad_input(path + ": cannot open the placement file");
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("physical_to_logical_map") ||
      !j["physical_to_logical_map"].is_array() || j["physical_to_logical_map"].empty())
    return bad_input(path + ": expected a JSON object with a non-empty 'physical_to_logical_map' array");
  const nlohmann::json& row = j["physical_to_logical_map"][0];
  if (!row.is_array() || static_cast<int>(row.size()) != physical_slots)
    return bad_input(path + ": physical_to_logical_map[0] has " + std::to_string(row.is_array() ? row.size() : 0) +
                     " slots, expected " + std::to_string(physical_slots) + " (routed + redundant experts)");
  std::vector<int> out;
  std::vector<bool> seen(static_cast<size_t>(num_experts), false);
  for (const auto& x : row) {
    if (!x.is_number_integer() || x.get<int>() < 0 || x.get<int>() >= num_experts)
      return bad_input(path + ": physical_to_logical_map[0] holds " + x.dump() + ", expected an expert id in [0, " +
                       std::to_string(num_experts) + ")");
    out.push_back(x.get<int>());
    seen[static_cast<size_t>(out.back())] = true;
  }
  for (int e = 0; e < num_experts; ++e)
    if (!seen[static_cast<size_t>(e)]) return bad_input(path + ": expert " + std::to_string(e) + " has no physical slot");
  return out;
}

EpTrafficPerToken route_per_token(const models::MoeSpec& moe, const std::vector<double>& popularity,
                                  const std::vector<int>& physical_to_logical, int ranks, int ranks_per_node,
                                  int sample_tokens_per_rank, uint64_t seed) {
  EpTrafficPerToken t;
  t.ranks = ranks;
  t.ranks_per_node = std::min(ranks, ranks_per_node);
  t.nodes = (ranks + t.ranks_per_node - 1) / t.ranks_per_node;
  const size_t n = static_cast<size_t>(ranks), nodes = static_cast<size_t>(t.nodes);
  const int slots_per_rank = static_cast<int>(physical_to_logical.size()) / ranks;
  std::vector<std::vector<int>> replicas(popularity.size());  // logical -> ranks holding it
  for (size_t s = 0; s < physical_to_logical.size(); ++s)
    replicas[static_cast<size_t>(physical_to_logical[s])].push_back(static_cast<int>(s) / slots_per_rank);
  t.direct_pairs.assign(n * n, 0.0);
  t.expert_rows.assign(n, 0.0);
  TokenTraffic& nt = t.normal;
  nt.ranks = ranks;
  nt.ranks_per_node = t.ranks_per_node;
  nt.nodes = t.nodes;
  nt.rdma_tokens.assign(n * nodes, 0.0);
  nt.nvl_tokens.assign(n * n, 0.0);
  nt.expert_rows.assign(n, 0.0);
  std::vector<double> log_p(popularity.size());
  for (size_t e = 0; e < popularity.size(); ++e) log_p[e] = std::log(std::max(popularity[e], 1e-300));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(1e-12, 1.0);
  const size_t k = static_cast<size_t>(moe.experts_per_token);
  std::vector<std::pair<double, int>> keys(popularity.size());
  double logical_rdma = 0, logical_nvl = 0;
  for (int src = 0; src < ranks; ++src) {
    const int src_node = src / t.ranks_per_node, local = src % t.ranks_per_node;
    for (int tok = 0; tok < sample_tokens_per_rank; ++tok) {
      for (size_t e = 0; e < keys.size(); ++e) keys[e] = {log_p[e] - std::log(-std::log(u(rng))), static_cast<int>(e)};
      std::partial_sort(keys.begin(), keys.begin() + static_cast<long>(k), keys.end(),
                        [](const auto& a, const auto& b) { return a.first > b.first; });
      std::vector<bool> dst_seen(n, false), node_seen(nodes, false);
      for (size_t i = 0; i < k; ++i) {
        const std::vector<int>& reps = replicas[static_cast<size_t>(keys[i].second)];
        int dst = -1;
        for (int r : reps)
          if (r / t.ranks_per_node == src_node) dst = r;
        if (dst < 0) dst = reps[std::uniform_int_distribution<size_t>(0, reps.size() - 1)(rng)];
        t.expert_rows[static_cast<size_t>(dst)] += 1;
        if (dst_seen[static_cast<size_t>(dst)]) continue;
        dst_seen[static_cast<size_t>(dst)] = true;
        t.direct_pairs[static_cast<size_t>(src) * n + static_cast<size_t>(dst)] += 1;
        logical_nvl += 1;
        const int node = dst / t.ranks_per_node;
        if (!node_seen[static_cast<size_t>(node)]) {
          node_seen[static_cast<size_t>(node)] = true;
          logical_rdma += 1;
          if (node != src_node) nt.rdma_tokens[static_cast<size_t>(src) * nodes + static_cast<size_t>(node)] += 1;
        }
        const int fwd = node == src_node ? src : std::min(node * t.ranks_per_node + local, ranks - 1);
        if (fwd != dst) nt.nvl_tokens[static_cast<size_t>(fwd) * n + static_cast<size_t>(dst)] += 1;
      }
    }
  }
  const double samples = static_cast<double>(sample_tokens_per_rank);
  for (double& x : t.direct_pairs) x /= samples;
  for (double& x : t.expert_rows) x /= samples;
  for (double& x : nt.rdma_tokens) x /= samples;
  for (double& x : nt.nvl_tokens) x /= samples;
  nt.expert_rows = t.expert_rows;
  nt.logical_rdma_tokens_per_rank = logical_rdma / (samples * ranks);
  nt.logical_nvl_tokens_per_rank = logical_nvl / (samples * ranks);
  // Expected rows: expert e is chosen with probability min(1, k p_e) per token, and its rows split
  // evenly over its replicas; every GPU's tokens route alike, so multiply by the source count.
  t.expected_rows.assign(n, 0.0);
  for (size_t s = 0; s < physical_to_logical.size(); ++s) {
    const size_t e = static_cast<size_t>(physical_to_logical[s]);
    const double pick = std::min(1.0, static_cast<double>(k) * popularity[e]);
    t.expected_rows[s / static_cast<size_t>(slots_per_rank)] += ranks * pick / static_cast<double>(replicas[e].size());
  }
  const double mean = std::accumulate(t.expert_rows.begin(), t.expert_rows.end(), 0.0) / ranks;
  t.max_over_mean_rows = *std::max_element(t.expert_rows.begin(), t.expert_rows.end()) / mean;
  nt.max_over_mean_expert_rows = t.max_over_mean_rows;
  return t;
}

TokenTraffic scale_traffic(const TokenTraffic& per_token, double tokens_per_rank) {
  TokenTraffic t = per_token;
  for (double& x : t.rdma_tokens) x *= tokens_per_rank;
  for (double& x : t.nvl_tokens) x *= tokens_per_rank;
  for (double& x : t.expert_rows) x *= tokens_per_rank;
  t.logical_rdma_tokens_per_rank *= tokens_per_rank;
  t.logical_nvl_tokens_per_rank *= tokens_per_rank;
  return t;
}

}  // namespace moesim::sim::serving
