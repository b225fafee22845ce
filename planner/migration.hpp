// Migration-bounded rebalancing: move from a previous placement towards a new one changing at most
// K slots per layer, since every changed slot reloads one expert's weights (~44 MB for a DeepSeek-V3
// expert in FP8).
#pragma once

#include <string>
#include <vector>

#include "planner/placement.hpp"

namespace moesim::planner {

struct MigrationSpec {
  int max_moves_per_layer = -1;     // K; -1 = unlimited (adopt the target, only report the moves)
  bool allow_duplicates_on_gpu = false;  // true only for the deepseek policy
};

struct MigrationResult {
  PlacementPlan plan;
  std::vector<int> moves_per_layer;  // slots whose expert changed, per layer
  int64_t total_moves = 0;
};

// Reads a placement written by `moesim place` (only physical_to_logical_map is used) and checks it
// against the shape: L layers, R slots, ids in [0, E), every expert present.
Result<PlacementPlan> parse_previous_placement(const std::string& text, const std::string& display_path,
                                               const PlacementSpec& spec, int num_layers, int num_experts);

// Steps per layer: 1. relabel the target's nodes and GPUs (and slots inside a GPU) to overlap the
// previous placement as much as possible; 2. if the remaining difference fits in K slots, adopt it;
// 3. otherwise start from the previous placement and apply, one slot at a time, the difference
// that lowers the max GPU load most (never leaving an expert without a replica), K times.
// REQUIRES: both plans valid for `spec` and `loads`.
MigrationResult limit_migration(const PlacementPlan& previous, const PlacementPlan& target, const LoadMatrix& loads,
                                const PlacementSpec& spec, const MigrationSpec& migration);

// Slots whose expert differs between two plans of one layer.
int count_moves(const std::vector<int>& before, const std::vector<int>& after);

}  // namespace moesim::planner
