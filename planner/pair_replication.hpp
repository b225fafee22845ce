// Replication for two slots per GPU (the decode shape). With S = 2 the best packing of given
// replicas is known exactly (sort, pair the i-th heaviest with the i-th lightest), so replica counts
// can be searched against the true max GPU load rather than the heaviest replica: often fewer
// replicas of mid-heavy experts and more of light ones, whose small halves pair with heavy replicas.
#pragma once

#include <vector>

namespace moesim::planner {

// Max GPU load of the optimal pairing of the replicas implied by `count` (sum = 2 × GPUs).
double optimal_pairing_max(const std::vector<double>& load, const std::vector<int>& count);

// A family of starting points: heavy phase replicates the largest load per replica until all are
// <= level (or extras run out); light phase gives each remaining extra to the lightest unsplit
// expert (spread) or to the lightest replica (concentrate): small pieces partner heavy replicas.
std::vector<int> level_replication(const std::vector<double>& load, int slots, int cap, double level, bool spread);

// Hill climbing from the best few of `count` and the level_replication seeds: move one replica from a
// donor to a recipient while the optimal pairing's max drops, or stays while fewer pairs reach it;
// the best climbed result is returned. Keeps 1 <= count <= cap and the sum. Deterministic.
std::vector<int> improve_pair_replication(const std::vector<double>& load, std::vector<int> count, int cap);

}  // namespace moesim::planner
