// Fits the few NetworkCalibration factors so that simulated DeepEP all-to-alls reproduce measured
// "bottleneck bandwidths" (T3 of shared/reference/published.md for H800).
#pragma once

#include <vector>

#include "sim/all_to_all.hpp"

namespace moesim::sim {

// One measured cell pair: an EP size and DeepEP's dispatch/combine bottleneck bandwidths.
struct AllToAllMeasurement {
  int ep = 8;
  double dispatch_bw_bytes_per_s = 0;
  double combine_bw_bytes_per_s = 0;
};

struct NetworkFitResult {
  NetworkCalibration calibration;
  double max_abs_relative_error = 0;  // over all cells, of the fitted model's bandwidths
};

// 1. simulate each EP size once with unit factors, keeping the NVLink-only and RDMA-only times
//    (an L07 parallel task lasts max over its links of load / capacity, so they bound the time);
// 2. grid-search nvlink_efficiency (intranode cells), nvlink_forward_efficiency and
//    rdma_efficiency (internode cells) and one collective latency, minimising the worst relative
//    bandwidth error.
Result<NetworkFitResult> fit_network_calibration(const models::ModelSpec& model, const models::ClusterSpec& cluster,
                                                 const std::vector<AllToAllMeasurement>& measured,
                                                 const AllToAllSpec& base);

}  // namespace moesim::sim
