// The `locality` policy and the traffic it minimises: with expert parallelism a token is sent once
// to every remote node that hosts one of its top-k experts (DeepEP-style dispatch: one copy per
// node, then NVLink inside it), so placing co-activated experts on the same node cuts cross-node bytes.
#pragma once

#include <vector>

#include "traces/expert_loads.hpp"
#include "planner/placement.hpp"

namespace moesim::planner {

struct TrafficSpec {
  double token_bytes = 7168;  // bytes one token's dispatch sends to a node: DeepSeek-V3 hidden 7168 in FP8
};

// Mean cross-node dispatch bytes per token, summed over layers. A token starts on a node chosen
// uniformly (attention data-parallel ranks spread tokens evenly); each chosen expert is served by a
// replica on the token's node if any, else on a node the token already uses, else by its first
// replica; each remote node used costs token_bytes. REQUIRES: trace layers == plan layers.
double cross_node_bytes_per_token(const PlacementPlan& plan, const RoutingTrace& trace, const PlacementSpec& spec,
                                  const TrafficSpec& traffic);

// Steps per layer: 1. start from the balanced plan; 2. build the co-activation graph (Boost.Graph,
// edge weight = tokens choosing both experts); 3. swap single-replica experts between nodes while
// the swap raises same-node co-activation and keeps both GPUs under (1 + load_slack) × the balanced
// max; 4. keep the result only where it lowers the measured traffic of that layer.
// Hierarchical shapes keep groups on nodes (what node-limited routing relies on), so there step 3
// instead picks the group-to-node partition with the most co-activation inside nodes among those
// whose heaviest node is within the slack of the lightest possible, and repacks it like balanced.
// REQUIRES: trace.num_experts == expert count of loads, same layer count.
PlacementPlan place_locality(const LoadMatrix& loads, const RoutingTrace& trace, const PlacementSpec& spec,
                             double load_slack = 0.05);

}  // namespace moesim::planner
