// Expert placement: the shape of the problem (slots, groups, nodes, GPUs), the plan (direction-named
// maps as in DeepSeek's EPLB and SGLang), and helpers shared by every policy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/result.hpp"
#include "traces/expert_loads.hpp"

namespace moesim::planner {

// Placement works on traces/' load matrices and routing traces.
using traces::LoadMatrix;
using traces::RoutingTrace;

// The physical layout placement must fill. Slot p lives on GPU p / (replicas / gpus); GPU g lives on
// node g / (gpus / nodes). Validated by validate_placement_spec.
struct PlacementSpec {
  int replicas = 0;  // physical expert slots per layer (R >= experts, a multiple of gpus)
  int groups = 1;    // contiguous expert groups of group-limited routing (divides the experts)
  int nodes = 1;     // N, divides gpus
  int gpus = 1;      // M
};

inline int slots_per_gpu(const PlacementSpec& s) { return s.replicas / s.gpus; }
inline int gpus_per_node(const PlacementSpec& s) { return s.gpus / s.nodes; }
// EPLB's rule: groups are kept on nodes (hierarchical) when the node count divides the group count.
inline bool is_hierarchical(const PlacementSpec& s) { return s.groups % s.nodes == 0; }

// One placement of every layer. Invariants (checked by check_plan): every expert has >= 1 replica,
// logical_count[l][e] = number of slots p with physical_to_logical[l][p] == e, and
// logical_to_physical[l][e][r] is the slot of replica r (rows padded with -1 to a common width).
struct PlacementPlan {
  std::vector<std::vector<int>> physical_to_logical;               // [layer][slot] -> expert
  std::vector<std::vector<std::vector<int>>> logical_to_physical;  // [layer][expert][replica] -> slot
  std::vector<std::vector<int>> logical_count;                     // [layer][expert] -> replicas
};

// Checks the spec against `num_experts`; one error per violated rule, each naming the flag values.
std::vector<Error> validate_placement_spec(const PlacementSpec& spec, int num_experts);

// Fills logical_count and logical_to_physical from physical_to_logical, numbering replicas in slot
// order, padded to width max(1, replicas - experts + 1) (the reference's width).
void fill_logical_maps(PlacementPlan* plan, const PlacementSpec& spec, int num_experts);

// "" if the plan satisfies the invariants above for `spec`, else what is wrong (for tests/asserts).
std::string check_plan(const PlacementPlan& plan, const PlacementSpec& spec, int num_experts);

// Per-GPU load of one layer: each replica carries load[e] / count[e] (tokens split evenly).
std::vector<double> gpu_loads(const std::vector<int>& physical_to_logical, const std::vector<double>& load,
                              const PlacementSpec& spec);

}  // namespace moesim::planner
