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

// Bound (e), two slots per GPU (argument in slot_bound.cpp): the largest T, searched between
// `known_bound` and the best pairing found for a replication, that Lagrangian multipliers over the
// partner-count conditions prove infeasible for every replication of `load` into 2 × gpus slots.
// Returns `known_bound` when nothing better is proven, or when experts × extras² > 4e6 (DP too big).
// Deterministic; about 15 ms per decode-shaped layer (256 experts, 32 extra replicas).
// REQUIRES: loads >= 0, 2 × gpus >= load.size().
double pair_lower_bound(const std::vector<double>& load, int gpus, double known_bound);

// True when the multipliers `weight` on the cuts `cut` (each clamped into (0, t/2]) prove that no
// replication of `load` into 2 × gpus slots pairs with every GPU at or below `t` (exposed for tests).
bool pair_certificate_holds(const std::vector<double>& load, int gpus, double t, const std::vector<double>& cut,
                            const std::vector<double>& weight);

}  // namespace moesim::planner
