// How good a placement is: per-GPU load balance per layer, a lower bound on the best achievable max
// GPU load, and the gap to it.
#pragma once

#include <vector>

#include "planner/placement.hpp"

namespace moesim::planner {

struct LayerPlacementStats {
  double max_gpu_load = 0;   // tokens on the busiest GPU
  double mean_gpu_load = 0;  // total tokens / GPUs
  double imbalance = 1;      // max / mean (1 = perfect; 1 for an idle layer)
  double lower_bound = 0;    // no placement of this shape can have a smaller max GPU load
  double gap = 0;            // max / lower_bound - 1 (0 = provably optimal)
};

struct PlacementStats {
  std::vector<LayerPlacementStats> per_layer;
  double imbalance_mean = 1;  // mean over layers
  double gap_mean = 0;        // mean over layers
};

// Lower bound on the max GPU load of any placement of `load` with this spec; the largest of
//  (a) total / gpus: GPU loads always sum to the total;
//  (b) min over replica counts c (sum c = replicas, c >= 1) of max_e load[e] / c[e]: some GPU holds
//      the heaviest replica, and greedy replication (largest load per replica first) minimises it;
//  (d) slot counting (slot_bound.hpp): with S slots per GPU, a GPU with a replica > a >= T/2 has
//      S-1 others below T - a; no replication satisfies that count at T => T is a bound
//      (evaluated when S <= 4, where it binds);
//  (e) pair certificate (slot_bound.hpp, S = 2 only): for cuts y <= T/2, the pieces above T - y need
//      distinct partners below y; Lagrangian weights on these conditions, minimised exactly over all
//      replications by a knapsack DP, prove T unreachable;
//  (c) when hierarchical: every policy here keeps a group's experts and replicas on one node, so
//      for each equal-cardinality partition of groups onto nodes, max over nodes of (a)/(b) taken
//      inside the node is a bound; the minimum over all partitions (enumerated when there are at
//      most ~20k, else skipped) is one too; inside a node (a), (b) and (d) apply.
// Each term only relaxes constraints of the real problem, so their maximum is a true lower bound.
double max_gpu_load_lower_bound(const std::vector<double>& load, const PlacementSpec& spec);

// min over replica counts of max load[e] / c[e] with `slots` replicas in all (bound (b)).
double min_max_replica_load(const std::vector<double>& load, int slots);

// When hierarchical: node of each group in the partition that attains bound (c), or, when there are
// too many partitions to enumerate, EPLB's balanced packing of group loads.
std::vector<int> best_group_partition(const std::vector<double>& load, const PlacementSpec& spec);

// True when every expert of each group sits on the node of its group (what bound (c) assumes).
bool keeps_groups_on_nodes(const std::vector<int>& physical_to_logical, const PlacementSpec& spec, int num_experts);

// Per-layer bounds for any plan, and for plans that keep groups on nodes (bound (c) included).
struct LayerBounds {
  std::vector<double> any_plan;
  std::vector<double> groups_on_nodes;
};
LayerBounds lower_bounds(const LoadMatrix& loads, const PlacementSpec& spec);

// Stats of `plan` evaluated on `loads` (which may differ from the loads it was planned on). A layer
// whose plan keeps groups on their nodes is compared with groups_on_nodes, otherwise with any_plan.
// REQUIRES: loads has the plan's layer count and expert count.
PlacementStats placement_stats(const PlacementPlan& plan, const LoadMatrix& loads, const PlacementSpec& spec);
PlacementStats placement_stats(const PlacementPlan& plan, const LoadMatrix& loads, const PlacementSpec& spec,
                               const LayerBounds& bounds);

}  // namespace moesim::planner
