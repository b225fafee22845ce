// The `deepseek` policy: DeepSeek's EPLB reproduced exactly (shared/reference/eplb.md), including its
// tie-breaking and slot layout, so its results can be compared with ours and with SGLang's.
#pragma once

#include <vector>

#include "planner/placement.hpp"

namespace moesim::planner {

// Building block 1: n items into m packs of exactly n/m items each. Items are visited by descending
// weight (stable) and go to the lightest pack with room (ties: lowest index). n/m == 1 is the identity.
// REQUIRES: m >= 1, n % m == 0.
struct Packing {
  std::vector<int> pack;          // [item] -> pack index
  std::vector<int> rank_in_pack;  // [item] -> arrival rank inside its pack
};
Packing balanced_packing(const std::vector<double>& weight, int num_packs);

// Building block 2: slots 0..n-1 hold experts 0..n-1; each further slot goes to the expert with the
// largest load per replica (ties: lowest index). REQUIRES: num_slots >= weight.size().
struct Replication {
  std::vector<int> slot_to_expert;  // [slot] -> expert
  std::vector<int> replica_rank;    // [slot] -> the expert's replica count before this slot
  std::vector<int> count;           // [expert] -> replicas
};
Replication replicate_experts(const std::vector<double>& weight, int num_slots);

// EPLB on every layer: hierarchical when is_hierarchical(spec), else global (G = N = 1).
// REQUIRES: validate_loads and validate_placement_spec passed.
PlacementPlan place_deepseek(const LoadMatrix& loads, const PlacementSpec& spec);

}  // namespace moesim::planner
