// The `balanced` policy: EPLB's structure (groups on nodes when hierarchical) with better choices at
// each step, refined by local search. Never puts two replicas of one expert on one GPU.
#pragma once

#include <vector>

#include "planner/placement.hpp"

namespace moesim::planner {

// GPUs of one packing domain (a node when hierarchical, the whole cluster otherwise) and the experts
// whose replicas must live on them. A bin is a GPU; bins[i] lists the experts in its slots.
struct PackingDomain {
  std::vector<int> experts;  // logical expert ids
  int first_gpu = 0;
  int num_gpus = 1;
};

// Replica counts (sum = slots, 1 <= c <= cap) minimising the largest load per replica.
std::vector<int> capped_replication(const std::vector<double>& load, int slots, int cap);

// Steps, per layer (numbered as in balanced.cpp):
//  1. hierarchical: groups onto nodes (two candidate partitions, see packing_domains);
//  2. per domain: capped replication (at most one replica per GPU); with two slots per GPU, replica
//     counts searched against the exact pairing (pair_replication.hpp); with more, a few "level"
//     replications are packed too and the best kept;
//  3. greedy packing, heaviest replica first, into the lightest GPU lacking that expert;
//  4. local search: best improving swap between the heaviest GPU and any other, until none;
//  5. (more than two slots) move a replica between experts when the repacked layer is lighter.
// REQUIRES: validate_loads and validate_placement_spec passed.
PlacementPlan place_balanced(const LoadMatrix& loads, const PlacementSpec& spec);

// Candidate domain sets of one layer: one domain for all GPUs, or, when hierarchical, one per node
// under the bound-minimising group partition and under EPLB's greedy one (the better plan is kept).
std::vector<std::vector<PackingDomain>> packing_domains(const std::vector<double>& load, const PlacementSpec& spec);

// One domain per node for a group partition (node_of_group[g] = node of group g).
std::vector<PackingDomain> domains_for_partition(const std::vector<int>& node_of_group, int experts, const PlacementSpec& spec);

// physical_to_logical of one layer packed domain by domain (steps 2-5 in each).
std::vector<int> place_domains(const std::vector<double>& load, const std::vector<PackingDomain>& domains,
                               const PlacementSpec& spec);

// One layer: physical_to_logical of the best candidate (slots of a GPU sorted by expert id).
std::vector<int> place_layer_balanced(const std::vector<double>& load, const PlacementSpec& spec);

// Steps 2-5 on one domain; returns the experts of each of its GPUs (slots_per_gpu each).
std::vector<std::vector<int>> place_domain(const std::vector<double>& load, const PackingDomain& domain, int slots_per_gpu);

// Step 4 alone: improves `bins` (experts per GPU) in place given each expert's replica load.
void improve_by_swaps(std::vector<std::vector<int>>* bins, const std::vector<double>& replica_load);

}  // namespace moesim::planner
