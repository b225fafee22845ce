// Synthetic request streams: Poisson or Gamma (bursty) arrivals at a rate, token lengths from the
// scenario's distributions, and the prefix-cache hit rate applied to every prompt.
#pragma once

#include <cstdint>
#include <vector>

#include "configs/serving_scenario.hpp"
#include "sim/serving/request_trace.hpp"

namespace moesim::sim::serving {

// REQUIRES: rate_per_s > 0; spec.arrival is poisson or gamma. Deterministic for a seed.
std::vector<RequestRecord> generate_requests(const configs::ServingWorkloadSpec& spec, double rate_per_s,
                                             uint64_t seed);

// Mean of a length distribution after clamping to [min, max] (estimated by deterministic sampling).
double mean_length(const configs::LengthSpec& spec);

}  // namespace moesim::sim::serving
