// Expert loads, redundant-expert placement and the per-token traffic of expert parallelism in a
// serving instance: routing (top-k over expert popularity) × placement (physical slots on GPUs).
#pragma once

#include <cstdint>
#include <vector>

#include "configs/serving_scenario.hpp"
#include "models/model_spec.hpp"
#include "models/result.hpp"
#include "sim/token_router.hpp"

namespace moesim::sim::serving {

// Relative popularity of each logical routed expert (sums to 1): balanced, Zipf(s) over a seeded
// random ranking, or averaged over the layers of a measured load file.
Result<std::vector<double>> expert_popularity(const configs::ExpertLoadSpec& spec, int64_t num_experts, uint64_t seed);

// Built-in greedy replication (the planner's EPLB is above sim, so it is not linked here):
// 1. every logical expert gets one slot; 2. each redundant slot goes to the expert with the highest
// load per replica; 3. replicas, heaviest first, go to the least-loaded GPU with a free slot.
// Returns physical_to_logical, GPU g owning slots [g * slots_per_gpu, (g + 1) * slots_per_gpu).
// REQUIRES: physical_slots % gpus == 0, physical_slots >= popularity.size().
std::vector<int> greedy_placement(const std::vector<double>& popularity, int physical_slots, int gpus);

// Reads a `moesim place` JSON ({"physical_to_logical_map": [[...] per layer]}); uses the first layer.
Result<std::vector<int>> read_placement(const std::string& path, int physical_slots, int num_experts);

// Traffic per token that each source GPU dispatches (multiply by tokens per GPU).
struct EpTrafficPerToken {
  int ranks = 0, ranks_per_node = 0, nodes = 0;
  std::vector<double> direct_pairs;   // [src * ranks + dst]: distinct (token, dst GPU) pairs: low-latency kernels
  TokenTraffic normal;                // DeepEP normal-kernel paths (RDMA to each node once, then NVLink)
  std::vector<double> expert_rows;    // [gpu]: token-expert rows computed per token per source GPU (sampled)
  std::vector<double> expected_rows;  // [gpu]: the same in expectation (no sampling noise): popularity × placement
  double max_over_mean_rows = 1;
};

// Samples `sample_tokens_per_rank` tokens per GPU, routes each to its top-k experts (Gumbel top-k
// over popularity) and sends it to a replica on its own node when one exists, else a random one.
EpTrafficPerToken route_per_token(const models::MoeSpec& moe, const std::vector<double>& popularity,
                                  const std::vector<int>& physical_to_logical, int ranks, int ranks_per_node,
                                  int sample_tokens_per_rank, uint64_t seed);

// TokenTraffic for `tokens_per_rank` tokens per GPU (the per-token one scaled).
TokenTraffic scale_traffic(const TokenTraffic& per_token, double tokens_per_rank);

}  // namespace moesim::sim::serving
