// Public entry point: one DeepEP-style expert-parallel all-to-all (dispatch and combine) simulated on
// a cluster's platform, with DeepEP's own "bottleneck bandwidth" metric so results compare with T3.
#pragma once

#include <cstdint>

#include "models/hardware_spec.hpp"
#include "models/model_spec.hpp"
#include "models/result.hpp"
#include "sim/network_calibration.hpp"
#include "sim/token_router.hpp"

namespace moesim::sim {

struct AllToAllSpec {
  int ep = 8;                          // ranks of the expert-parallel group (whole nodes when > 1 node)
  int64_t tokens_per_rank = 4096;
  double dispatch_bytes_per_token = 0; // 0 = FP8 with 1/128 fp32 scales: hidden × (1 + 4/128)
  double combine_bytes_per_token = 0;  // 0 = BF16: hidden × 2
  uint64_t seed = 1;
};

struct AllToAllResult {
  bool internode = false;
  double dispatch_s = 0;
  double combine_s = 0;
  // DeepEP's metric: internode = logical RDMA bytes (each token counted once per target node, its
  // own node included) / time; intranode = NVLink bytes received (own rank included) / time.
  double dispatch_bottleneck_bw_bytes_per_s = 0;
  double combine_bottleneck_bw_bytes_per_s = 0;
  double max_over_mean_expert_rows = 1;
  // The same transfers restricted to one link class (no collective latency): what bounds the time.
  double dispatch_nvlink_only_s = 0, dispatch_rdma_only_s = 0;
  double combine_nvlink_only_s = 0, combine_rdma_only_s = 0;
  double logical_bytes_dispatch = 0, logical_bytes_combine = 0;  // DeepEP's numerators, per rank
};

// REQUIRES (checked, bad input otherwise): model is MoE, experts divisible by ep, ep a multiple of
// gpus_per_node when above it, ep <= cluster GPUs.
Result<AllToAllResult> simulate_all_to_all(const models::ModelSpec& model, const models::ClusterSpec& cluster,
                                           const NetworkCalibration& cal, const AllToAllSpec& spec);

}  // namespace moesim::sim
