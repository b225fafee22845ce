// Balance statistics and the lower bound on max GPU load (see placement_stats.hpp for the argument).
#include "planner/placement_stats.hpp"

#include "planner/eplb.hpp"
#include "planner/slot_bound.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <queue>

namespace moesim::planner {
namespace {

constexpr double kMaxPartitions = 20000;
// Bound (d) binds when GPUs hold few slots (decode: 2); with more slots it has never been tighter
// than (a)-(c) in our Zipf sweeps and costs ~10 ms per layer, so it is skipped there.
constexpr int kMaxCountedSlots = 4;

// Number of ways to split `groups` into `nodes` unordered parts of equal size.
double partition_count(int groups, int nodes) {
  double count = 1;
  int left = groups;
  const int per = groups / nodes;
  for (int k = 0; k < nodes; ++k, left -= per) {
    double choose = 1;  // C(left - 1, per - 1): the first free group anchors the next node
    for (int i = 1; i < per; ++i) choose = choose * (left - i) / i;
    count *= choose;
    if (count > kMaxPartitions) break;
  }
  return count;
}

// Bound (c): branch over partitions, anchoring each node on the lowest unassigned group so every
// unordered partition is visited once, pruning branches already worse than the best found.
class GroupPartitionBound {
 public:
  // `count_slots`: include bound (d) inside nodes (tighter, slower; the partition choice skips it).
  GroupPartitionBound(const std::vector<double>& load, const PlacementSpec& s, bool count_slots)
      : load_(load), s_(s), count_slots_(count_slots) {
    group_size_ = static_cast<int>(load.size()) / s.groups;
  }
  double solve() {
    best_ = std::numeric_limits<double>::infinity();
    search(0u, 0.0);
    return best_;
  }
  // Node of each group in the best partition found by solve().
  std::vector<int> best_nodes() const {
    std::vector<int> node(s_.groups, 0);
    for (size_t k = 0; k < best_masks_.size(); ++k) {
      for (int g = 0; g < s_.groups; ++g) {
        if (best_masks_[k] >> g & 1u) node[g] = static_cast<int>(k);
      }
    }
    return node;
  }

 private:
  double node_bound(unsigned mask) {
    auto it = cache_.find(mask);
    if (it != cache_.end()) return it->second;
    std::vector<double> node_load;
    for (int g = 0; g < s_.groups; ++g) {
      if (mask >> g & 1u) node_load.insert(node_load.end(), load_.begin() + g * group_size_, load_.begin() + (g + 1) * group_size_);
    }
    const double total = std::accumulate(node_load.begin(), node_load.end(), 0.0);
    const int gpus = gpus_per_node(s_);
    const double bound = std::max(total / gpus, min_max_replica_load(node_load, s_.replicas / s_.nodes));
    return cache_[mask] = count_slots_ && slots_per_gpu(s_) <= kMaxCountedSlots ? slot_count_lower_bound(node_load, slots_per_gpu(s_), gpus, bound) : bound;
  }
  void search(unsigned used, double worst) {
    if (worst >= best_) return;
    int first = 0;
    while (first < s_.groups && (used >> first & 1u)) ++first;
    if (first == s_.groups) {
      best_ = worst;
      best_masks_ = masks_;
      return;
    }
    choose(used, 1u << first, first + 1, s_.groups / s_.nodes - 1, worst);
  }
  void choose(unsigned used, unsigned node, int from, int left, double worst) {
    if (left == 0) {
      masks_.push_back(node);
      search(used | node, std::max(worst, node_bound(node)));
      masks_.pop_back();
      return;
    }
    for (int g = from; g < s_.groups; ++g) {
      if (!(used >> g & 1u)) choose(used, node | 1u << g, g + 1, left - 1, worst);
    }
  }

  const std::vector<double>& load_;
  PlacementSpec s_;
  bool count_slots_ = true;
  int group_size_ = 1;
  double best_ = 0;
  std::map<unsigned, double> cache_;
  std::vector<unsigned> masks_, best_masks_;  // groups of each node: current branch, best so far
};

bool can_enumerate(const PlacementSpec& s) {
  return is_hierarchical(s) && s.nodes > 1 && s.groups <= 32 && partition_count(s.groups, s.nodes) <= kMaxPartitions;
}

}  // namespace

double min_max_replica_load(const std::vector<double>& load, int slots) {
  std::priority_queue<std::pair<double, int>> heap;  // (load per replica, expert)
  std::vector<int> count(load.size(), 1);
  for (size_t e = 0; e < load.size(); ++e) heap.emplace(load[e], static_cast<int>(e));
  for (int extra = slots - static_cast<int>(load.size()); extra > 0 && !heap.empty(); --extra) {
    const int e = heap.top().second;
    heap.pop();
    heap.emplace(load[e] / ++count[e], e);
  }
  return heap.empty() ? 0.0 : heap.top().first;
}

double max_gpu_load_lower_bound(const std::vector<double>& load, const PlacementSpec& spec) {
  const double total = std::accumulate(load.begin(), load.end(), 0.0);
  double bound = std::max(total / spec.gpus, min_max_replica_load(load, spec.replicas));
  if (slots_per_gpu(spec) <= kMaxCountedSlots) bound = slot_count_lower_bound(load, slots_per_gpu(spec), spec.gpus, bound);
  if (slots_per_gpu(spec) == 2) bound = pair_lower_bound(load, spec.gpus, bound);
  if (can_enumerate(spec)) bound = std::max(bound, GroupPartitionBound(load, spec, true).solve());
  return bound;
}

std::vector<int> best_group_partition(const std::vector<double>& load, const PlacementSpec& spec) {
  if (can_enumerate(spec)) {
    GroupPartitionBound search(load, spec, false);
    search.solve();
    return search.best_nodes();
  }
  const int group_size = static_cast<int>(load.size()) / spec.groups;
  std::vector<double> group_load(spec.groups, 0.0);
  for (size_t e = 0; e < load.size(); ++e) group_load[e / group_size] += load[e];
  return balanced_packing(group_load, spec.nodes).pack;
}

bool keeps_groups_on_nodes(const std::vector<int>& p2l, const PlacementSpec& spec, int num_experts) {
  const int group_size = num_experts / spec.groups, slots_per_node = spec.replicas / spec.nodes;
  std::vector<int> node_of_group(spec.groups, -1);
  for (int p = 0; p < static_cast<int>(p2l.size()); ++p) {
    int& node = node_of_group[p2l[p] / group_size];
    if (node >= 0 && node != p / slots_per_node) return false;
    node = p / slots_per_node;
  }
  return true;
}

LayerBounds lower_bounds(const LoadMatrix& loads, const PlacementSpec& spec) {
  LayerBounds out;
  PlacementSpec flat = spec;
  flat.groups = 1;  // no node constraint: holds for every plan
  for (const auto& load : loads) {
    out.any_plan.push_back(max_gpu_load_lower_bound(load, flat));
    out.groups_on_nodes.push_back(is_hierarchical(spec) ? max_gpu_load_lower_bound(load, spec) : out.any_plan.back());
  }
  return out;
}

PlacementStats placement_stats(const PlacementPlan& plan, const LoadMatrix& loads, const PlacementSpec& spec) {
  return placement_stats(plan, loads, spec, lower_bounds(loads, spec));
}

PlacementStats placement_stats(const PlacementPlan& plan, const LoadMatrix& loads, const PlacementSpec& spec,
                               const LayerBounds& bounds) {
  PlacementStats out;
  for (size_t l = 0; l < loads.size(); ++l) {
    const std::vector<double> per_gpu = gpu_loads(plan.physical_to_logical[l], loads[l], spec);
    LayerPlacementStats s;
    s.max_gpu_load = *std::max_element(per_gpu.begin(), per_gpu.end());
    s.mean_gpu_load = std::accumulate(per_gpu.begin(), per_gpu.end(), 0.0) / spec.gpus;
    s.imbalance = s.mean_gpu_load > 0 ? s.max_gpu_load / s.mean_gpu_load : 1.0;
    const bool grouped = keeps_groups_on_nodes(plan.physical_to_logical[l], spec, static_cast<int>(loads[l].size()));
    s.lower_bound = grouped ? bounds.groups_on_nodes[l] : bounds.any_plan[l];
    s.gap = s.lower_bound > 0 ? s.max_gpu_load / s.lower_bound - 1.0 : 0.0;
    out.per_layer.push_back(s);
  }
  const double n = std::max<size_t>(1, out.per_layer.size());
  out.imbalance_mean = 0;
  for (const auto& s : out.per_layer) {
    out.imbalance_mean += s.imbalance / n;
    out.gap_mean += s.gap / n;
  }
  return out;
}

}  // namespace moesim::planner
