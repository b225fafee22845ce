// A small seeded router for simulation: draws expert affinities per token and applies DeepSeek's
// group-limited (top groups by the sum of their best two scores) and node-limited top-k selection,
// then counts what an expert-parallel all-to-all must move between ranks and nodes.
#pragma once

#include <cstdint>
#include <vector>

#include "models/model_spec.hpp"

namespace moesim::sim {

// Experts laid out contiguously: expert e lives on rank e / (num_experts / ranks); ranks fill
// nodes in order, `ranks_per_node` per node.
struct EpLayout {
  int ranks = 8;
  int ranks_per_node = 8;
  int nodes() const { return (ranks + ranks_per_node - 1) / ranks_per_node; }
};

struct RoutingSpec {
  int64_t tokens_per_rank = 4096;  // tokens each rank dispatches
  uint64_t seed = 1;
};

// Token counts of one dispatch (the combine moves the same tokens back). DeepEP-style paths: a
// token goes once over RDMA to every remote node holding one of its experts (to the GPU with the
// sender's local index), then over NVLink to every expert rank of that node.
struct TokenTraffic {
  int ranks = 0, ranks_per_node = 0, nodes = 0;
  std::vector<double> rdma_tokens;  // [src * nodes + node]: tokens src sends to remote node
  std::vector<double> nvl_tokens;   // [fwd * ranks + dst]: (token, rank) pairs forwarded fwd -> dst, same node, fwd != dst
  std::vector<double> expert_rows;  // [rank]: token-expert rows each rank computes
  double logical_rdma_tokens_per_rank = 0;  // mean Σ_tokens distinct target nodes, own node included
  double logical_nvl_tokens_per_rank = 0;   // mean received (token, rank) pairs, own rank included
  double max_over_mean_expert_rows = 1;     // load imbalance of the expert computation
};

// REQUIRES: moe.num_routed_experts divisible by layout.ranks; experts_per_token <= experts.
TokenTraffic route_tokens(const models::MoeSpec& moe, const EpLayout& layout, const RoutingSpec& routing);

}  // namespace moesim::sim
