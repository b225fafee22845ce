// Migration-bounded rebalancing (see migration.hpp for the steps).
#include "planner/migration.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <tuple>

namespace moesim::planner {
namespace {

using Slots = std::vector<int>;

int overlap(const Slots& a, const Slots& b) {
  std::map<int, int> count;
  for (int e : a) ++count[e];
  int shared = 0;
  for (int e : b) {
    if (count[e]-- > 0) ++shared;
  }
  return shared;
}

// Greedy maximum-overlap matching of `n` target blocks to `n` previous blocks of `width` slots
// starting at `base`; returns target block -> previous block.
std::vector<int> match_blocks(const Slots& prev, const Slots& target, int base, int n, int width) {
  std::vector<std::tuple<int, int, int>> pairs;  // (-overlap, target, previous): sorted = best first
  for (int t = 0; t < n; ++t) {
    const Slots tb(target.begin() + base + t * width, target.begin() + base + (t + 1) * width);
    for (int p = 0; p < n; ++p) {
      const Slots pb(prev.begin() + base + p * width, prev.begin() + base + (p + 1) * width);
      pairs.emplace_back(-overlap(tb, pb), t, p);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  std::vector<int> to_prev(n, -1), taken(n, 0);
  for (const auto& [neg, t, p] : pairs) {
    if (to_prev[t] < 0 && !taken[p]) to_prev[t] = p, taken[p] = 1;
  }
  return to_prev;
}

// Moves target blocks to the previous blocks they overlap most.
Slots permute_blocks(const Slots& prev, const Slots& target, int base, int n, int width) {
  const std::vector<int> to_prev = match_blocks(prev, target, base, n, width);
  Slots out = target;
  for (int t = 0; t < n; ++t) {
    std::copy(target.begin() + base + t * width, target.begin() + base + (t + 1) * width, out.begin() + base + to_prev[t] * width);
  }
  return out;
}

// Inside one GPU, keeps each expert the previous placement already had in the same slot.
void align_slots(const Slots& prev, Slots* target, int base, int width) {
  for (int i = 0; i < width; ++i) {
    for (int j = 0; j < width; ++j) {
      if (i != j && (*target)[base + j] == prev[base + i] && (*target)[base + i] != prev[base + i]) {
        std::swap((*target)[base + i], (*target)[base + j]);
        break;
      }
    }
  }
}

// Step 1.
Slots align_to(const Slots& prev, const Slots& target, const PlacementSpec& spec) {
  const int per_gpu = slots_per_gpu(spec), per_node = gpus_per_node(spec);
  Slots out = permute_blocks(prev, target, 0, spec.nodes, per_node * per_gpu);
  for (int k = 0; k < spec.nodes; ++k) out = permute_blocks(prev, out, k * per_node * per_gpu, per_node, per_gpu);
  for (int g = 0; g < spec.gpus; ++g) align_slots(prev, &out, g * per_gpu, per_gpu);
  return out;
}

double max_load(const Slots& p2l, const std::vector<double>& load, const PlacementSpec& spec) {
  const auto per_gpu = gpu_loads(p2l, load, spec);
  return *std::max_element(per_gpu.begin(), per_gpu.end());
}

bool gpu_holds(const Slots& p2l, int gpu, int per_gpu, int expert) {
  return std::find(p2l.begin() + gpu * per_gpu, p2l.begin() + (gpu + 1) * per_gpu, expert) != p2l.begin() + (gpu + 1) * per_gpu;
}

// Step 3: K single-slot changes from `prev` towards `target`, best first.
Slots apply_budget(const Slots& prev, const Slots& target, const std::vector<double>& load, const PlacementSpec& spec,
                   const MigrationSpec& m) {
  Slots now = prev;
  std::vector<int> count(load.size(), 0);
  for (int e : now) ++count[e];
  const int per_gpu = slots_per_gpu(spec);
  for (int move = 0; move < m.max_moves_per_layer; ++move) {
    int best_slot = -1;
    double best = 0;
    for (int p = 0; p < spec.replicas; ++p) {
      const int from = now[p], to = target[p];
      if (from == to || count[from] < 2) continue;
      if (!m.allow_duplicates_on_gpu && gpu_holds(now, p / per_gpu, per_gpu, to)) continue;
      now[p] = to;
      const double v = max_load(now, load, spec);
      now[p] = from;
      if (best_slot < 0 || v < best) best_slot = p, best = v;
    }
    if (best_slot < 0) break;
    --count[now[best_slot]];
    ++count[target[best_slot]];
    now[best_slot] = target[best_slot];
  }
  return now;
}

}  // namespace

int count_moves(const std::vector<int>& before, const std::vector<int>& after) {
  int moves = 0;
  for (size_t p = 0; p < before.size() && p < after.size(); ++p) moves += before[p] != after[p];
  return moves;
}

MigrationResult limit_migration(const PlacementPlan& previous, const PlacementPlan& target, const LoadMatrix& loads,
                                const PlacementSpec& spec, const MigrationSpec& m) {
  MigrationResult out;
  for (size_t l = 0; l < loads.size(); ++l) {
    const Slots& prev = previous.physical_to_logical[l];
    Slots next = align_to(prev, target.physical_to_logical[l], spec);
    if (m.max_moves_per_layer >= 0 && count_moves(prev, next) > m.max_moves_per_layer) {
      next = apply_budget(prev, next, loads[l], spec, m);
    }
    out.moves_per_layer.push_back(count_moves(prev, next));
    out.total_moves += out.moves_per_layer.back();
    out.plan.physical_to_logical.push_back(std::move(next));
  }
  fill_logical_maps(&out.plan, spec, loads.empty() ? 0 : static_cast<int>(loads[0].size()));
  return out;
}

Result<PlacementPlan> parse_previous_placement(const std::string& text, const std::string& path, const PlacementSpec& spec,
                                               int num_layers, int num_experts) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("physical_to_logical_map")) {
    return bad_input(path + ": missing \"physical_to_logical_map\" (expected a placement written by `moesim place --json`)");
  }
  const auto& rows = doc["physical_to_logical_map"];
  if (!rows.is_array() || static_cast<int>(rows.size()) != num_layers) {
    return bad_input(path + ": physical_to_logical_map has " + std::to_string(rows.is_array() ? rows.size() : 0) +
                     " layers, expected " + std::to_string(num_layers) + " (as in the loads)");
  }
  PlacementPlan plan;
  for (int l = 0; l < num_layers; ++l) {
    const std::string at = path + ": physical_to_logical_map[" + std::to_string(l) + "]";
    if (!rows[l].is_array() || static_cast<int>(rows[l].size()) != spec.replicas) {
      return bad_input(at + " does not have " + std::to_string(spec.replicas) + " slots (--replicas)");
    }
    Slots p2l;
    std::vector<int> seen(num_experts, 0);
    for (const auto& v : rows[l]) {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= num_experts) {
        return bad_input(at + ": expert id " + v.dump() + " is out of range [0, " + std::to_string(num_experts) + ")");
      }
      p2l.push_back(v.get<int>());
      seen[p2l.back()] = 1;
    }
    const auto missing = std::find(seen.begin(), seen.end(), 0);
    if (missing != seen.end()) return bad_input(at + ": expert " + std::to_string(missing - seen.begin()) + " has no slot");
    plan.physical_to_logical.push_back(std::move(p2l));
  }
  fill_logical_maps(&plan, spec, num_experts);
  return plan;
}

}  // namespace moesim::planner
