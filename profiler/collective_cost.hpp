// Analytical times of the collectives MoE training and serving need, from a cluster spec alone:
// NVLink (scale-up) inside a node / NVLink domain, the NIC (scale-out) across. Uncalibrated: the
// link figures are the cluster YAML's achievable bandwidths and latencies, no kernel measurement.
//
// Ranks are placed contiguously: rank r lives in scale-up domain r / D, D = min(ranks, domain_gpus).
#pragma once

#include <cstdint>

#include "models/cost_model.hpp"
#include "models/hardware_spec.hpp"
#include "models/result.hpp"

namespace moesim::profiler {

struct CollectivePrediction {
  models::CostEstimate estimate;  // source "roofline" (link bandwidth roofline), calibrated = false
  int ranks = 0;
  int ranks_per_domain = 0;       // D
  double scale_up_bytes = 0;      // sent by one GPU over NVLink
  double scale_out_bytes = 0;     // sent by one GPU through its NIC
  double scale_up_s = 0;
  double scale_out_s = 0;
  double latency_s = 0;
};

inline constexpr double kCollectiveRelativeError = 0.25;  // documented guess until calibrated

// All-to-all (EP dispatch or combine) among `ep` ranks, each holding `bytes_per_gpu` spread evenly
// over all ranks (its own share stays local). NVLink and NIC traffic proceed concurrently (as
// DeepEP overlaps them): time = max(nvlink bytes / nvlink bw, nic bytes / nic bw) + latency.
// Errors: bytes <= 0 or ep < 1 (bad input); ep larger than the cluster (infeasible).
Result<CollectivePrediction> alltoall_time(double bytes_per_gpu, int ep, const models::ClusterSpec& cluster);

// All-reduce of `bytes` on each of `gpus` ranks. Within one domain: ring, 2(G-1)/G * bytes over
// NVLink plus 2(G-1) latencies. Across domains: hierarchical — reduce-scatter in the domain, ring
// all-reduce of bytes/D across the N domains over the NIC, all-gather in the domain.
Result<CollectivePrediction> allreduce_time(double bytes, int gpus, const models::ClusterSpec& cluster);

}  // namespace moesim::profiler
