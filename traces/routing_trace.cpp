// Routing traces (token → top-k expert ids per layer): the JSON reader, the reduction to loads and a
// synthetic generator with co-activation clusters. Declared in expert_loads.hpp.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "traces/expert_loads.hpp"

namespace moesim::traces {
namespace {

const char* kTraceShape =
    " (expected {\"moesim_routing_trace\": 1, \"num_experts\": E, \"top_k\": K, \"layers\": [[[ids...], ...], ...]})";

Result<int> positive_int_key(const nlohmann::json& doc, const char* key, const std::string& path) {
  if (!doc.contains(key)) return bad_input(path + ": missing key \"" + key + "\"" + kTraceShape);
  const auto& v = doc[key];
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > (1 << 20)) {
    return bad_input(path + ": " + key + " = " + v.dump() + " is invalid (expected a positive integer)");
  }
  return v.get<int>();
}

// One token's top-k list: K distinct ids in [0, E).
Status check_token(const nlohmann::json& ids, const RoutingTrace& t, const std::string& where) {
  if (!ids.is_array() || static_cast<int>(ids.size()) != t.top_k) {
    return bad_input(where + " = " + ids.dump() + " is invalid (expected a list of top_k = " + std::to_string(t.top_k) + " expert ids)");
  }
  for (size_t j = 0; j < ids.size(); ++j) {
    const auto& id = ids[j];
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= t.num_experts) {
      return bad_input(where + "[" + std::to_string(j) + "] = " + id.dump() + " is invalid (expected an expert id in [0, " +
                       std::to_string(t.num_experts) + "))");
    }
    for (size_t i = 0; i < j; ++i) {
      if (ids[i] == id) return bad_input(where + ": expert " + id.dump() + " chosen twice (expected distinct ids)");
    }
  }
  return {};
}

Status parse_layer(const nlohmann::json& layer, size_t l, RoutingTrace* t, const std::string& path) {
  const std::string where = path + ": layers[" + std::to_string(l) + "]";
  if (!layer.is_array()) return bad_input(where + " is not a list of tokens" + kTraceShape);
  if (l > 0 && static_cast<int64_t>(layer.size()) != t->num_tokens) {
    return bad_input(where + " has " + std::to_string(layer.size()) + " tokens, expected " +
                     std::to_string(t->num_tokens) + " (every layer lists the same tokens)");
  }
  t->num_tokens = static_cast<int64_t>(layer.size());
  std::vector<int> choices;
  choices.reserve(layer.size() * t->top_k);
  for (size_t k = 0; k < layer.size(); ++k) {
    Status s = check_token(layer[k], *t, where + "[" + std::to_string(k) + "]");
    if (!s.ok()) return s;
    for (const auto& id : layer[k]) choices.push_back(id.get<int>());
  }
  t->choices.push_back(std::move(choices));
  return {};
}

}  // namespace

Result<RoutingTrace> parse_routing_trace_json(const std::string& text, const std::string& path) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return bad_input(path + ": malformed JSON" + kTraceShape);
  if (!doc.contains("moesim_routing_trace") || doc["moesim_routing_trace"] != 1) {
    return bad_input(path + ": missing or unsupported \"moesim_routing_trace\" version (expected 1)");
  }
  RoutingTrace t;
  auto experts = positive_int_key(doc, "num_experts", path);
  if (!experts.ok()) return experts.errors();
  auto top_k = positive_int_key(doc, "top_k", path);
  if (!top_k.ok()) return top_k.errors();
  t.num_experts = experts.value();
  t.top_k = top_k.value();
  if (t.top_k > t.num_experts) return bad_input(path + ": top_k = " + std::to_string(t.top_k) + " exceeds num_experts");
  if (!doc.contains("layers") || !doc["layers"].is_array() || doc["layers"].empty()) {
    return bad_input(path + ": missing or empty \"layers\"" + kTraceShape);
  }
  for (size_t l = 0; l < doc["layers"].size(); ++l) {
    Status s = parse_layer(doc["layers"][l], l, &t, path);
    if (!s.ok()) return s.errors();
  }
  if (t.num_tokens == 0) return bad_input(path + ": the trace has no tokens");
  return t;
}

LoadMatrix loads_from_trace(const RoutingTrace& trace) {
  LoadMatrix loads(trace.choices.size(), std::vector<double>(trace.num_experts, 0.0));
  for (size_t l = 0; l < trace.choices.size(); ++l) {
    for (int e : trace.choices[l]) loads[l][e] += 1;
  }
  return loads;
}

// Experts are split into clusters by a seeded permutation; a token picks a home cluster (Zipf-skewed)
// and draws each of its experts from it with probability in_cluster_fraction, else from anywhere.
RoutingTrace synthetic_routing_trace(const SyntheticTraceSpec& spec) {
  std::mt19937_64 rng(spec.seed);
  auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  RoutingTrace t{spec.num_experts, spec.top_k, spec.num_tokens, {}};
  const int per_cluster = std::max(1, spec.num_experts / spec.num_clusters);
  for (int l = 0; l < spec.num_layers; ++l) {
    std::vector<int> perm(spec.num_experts);
    for (int e = 0; e < spec.num_experts; ++e) perm[e] = e;
    for (size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[rng() % i]);
    std::vector<int> choices;
    for (int64_t k = 0; k < spec.num_tokens; ++k) {
      // Cluster c chosen with weight 1/(c+1): some clusters are hotter than others.
      const int cluster = static_cast<int>(std::floor(std::pow(spec.num_clusters + 1.0, uniform()))) - 1;
      std::vector<int> picked;
      while (static_cast<int>(picked.size()) < spec.top_k) {
        const bool local = uniform() < spec.in_cluster_fraction && static_cast<int>(picked.size()) < per_cluster;
        const int slot = local ? std::min(cluster, spec.num_clusters - 1) * per_cluster + static_cast<int>(rng() % per_cluster)
                               : static_cast<int>(rng() % spec.num_experts);
        const int e = perm[std::min(slot, spec.num_experts - 1)];
        if (std::find(picked.begin(), picked.end(), e) == picked.end()) picked.push_back(e);
      }
      choices.insert(choices.end(), picked.begin(), picked.end());
    }
    t.choices.push_back(std::move(choices));
  }
  return t;
}

}  // namespace moesim::traces
