// Lower bound (d) on the max GPU load that counts slots: with S slots per GPU, a GPU holding a
// replica heavier than a (>= T/2) has S-1 other replicas summing below T - a, so each of them is
// "small" (< T - a). Hence (S-1) · #big <= #small must hold for some replication, which we relax
// into a small knapsack over extra replicas. Catches what mean/heaviest-replica bounds miss when
// S is small (decode: 2 slots per GPU).
#pragma once

#include <vector>

namespace moesim::planner {

// Largest T (searched upwards from `known_bound`) proven infeasible for every replication of `load`
// into slots_per_gpu × gpus slots; returns `known_bound` when nothing better is proven.
// REQUIRES: loads >= 0, slots_per_gpu × gpus >= load.size().
double slot_count_lower_bound(const std::vector<double>& load, int slots_per_gpu, int gpus, double known_bound);

// True when no replication and packing can keep every GPU at or below `t`, judged with the big
// threshold `a` in [t/2, t) (exposed for tests).
bool proven_infeasible(const std::vector<double>& load, int slots_per_gpu, int gpus, double t, double a);

}  // namespace moesim::planner
