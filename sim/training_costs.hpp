// Compute side of a training step: per-layer op graphs (models/op_graph.hpp) localised to one GPU
// of the parallel layout (EP, and TP with sequence parallelism) and costed with a CostModel; layers
// partitioned into balanced pipeline stages; per-GPU memory. No SimGrid here.
#pragma once

#include <vector>

#include "configs/training_scenario.hpp"
#include "models/cost_model.hpp"

namespace moesim::sim {

// Times of one micro-batch through one pipeline stage on one GPU, compute only. Under tensor
// parallelism (tp > 1) every figure is one GPU's share: tensor-split ops at 1/tp, routed experts
// over the GPU's 1/tp of the tokens with E/ep whole experts.
struct StageCompute {
  int first_layer = 0, last_layer = 0;  // [first, last) transformer layers
  bool has_embedding = false, has_head = false;  // head includes the MTP modules
  int moe_layers = 0;
  double forward_s = 0;
  double backward_input_s = 0;          // includes recomputation
  double backward_weight_s = 0;
  double forward_flops = 0;             // executed, for reporting
  double activation_bytes = 0;          // kept for backward, one micro-batch
  double non_expert_params = 0;         // on one GPU (one copy of this stage)
  double expert_params = 0;
  int tp_collectives = 0;               // TP all-gathers + reduce-scatters per micro-batch and direction (0 at tp = 1)
};

// Contiguous partition of `w` into `parts` non-empty pieces of near-equal sums; returns each
// piece's first index. Shared with the planner's analytical training model.
std::vector<int> balanced_partition(const std::vector<double>& w, int parts);

// Builds the stages: layers (plus embedding on the first and head/MTP on the last stage) split
// into pp contiguous stages minimising the slowest stage's forward+backward time.
// `expert_imbalance` (max/mean routed rows per GPU) scales the routed-expert work.
std::vector<StageCompute> build_stages(const configs::TrainingScenario& s, const models::GpuSpec& gpu,
                                       const models::CostModel& cost, double expert_imbalance);

// Bytes of training state + activations on the busiest GPU, and the parameters behind them.
struct MemoryEstimate {
  double state_bytes = 0;
  double activation_bytes = 0;
  double total_bytes() const { return state_bytes + activation_bytes; }
  int worst_rank = 0;
};
MemoryEstimate estimate_memory(const configs::TrainingScenario& s, const std::vector<StageCompute>& stages);

}  // namespace moesim::sim
