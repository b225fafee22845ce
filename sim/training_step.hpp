// Public entry point of the training-step simulation: one optimizer step of a training scenario
// on its cluster. What is simulated how:
//  - SimGrid (one forked child process per call, see run_isolated.hpp), on the full platform:
//    the expert-parallel all-to-alls of one EP group (byte matrices from the seeded router),
//    pipeline sends between stages, the ZeRO-1 reduce-scatter / all-gather of one stage's
//    DP groups, and (tp > 1) one sequence-parallel all-gather of a TP group inside a node. Every
//    EP, TP, pipeline and DP group is symmetric on the multi-plane fat-tree, so one of each stands
//    for all (DP replicas are identical).
//  - Tensor parallelism (Megatron with sequence parallelism; training_costs.hpp): GPUs = pp × dp
//    × tp, TP groups of tp consecutive GPUs inside a node; the MoE layer is "folded": its EP
//    group spans ep GPUs of the stage's dp × tp, experts whole, each GPU routing 1/tp of the
//    tokens. Each TP block's all-gather / reduce-scatter is exposed in exposed_comm.
//  - The pipeline schedule of one replica (pipeline_schedule.hpp) over per-stage chunk times
//    from the cost model plus those network times.
#pragma once

#include <string>
#include <vector>

#include "configs/training_scenario.hpp"
#include "models/cost_model.hpp"
#include "models/result.hpp"
#include "sim/network_calibration.hpp"
#include "sim/pipeline_schedule.hpp"
#include "sim/training_costs.hpp"

namespace moesim::sim {

// Seconds per step, averaged over pipeline ranks; they sum to step_time_s.
struct TrainingBreakdown {
  double forward_s = 0;
  double backward_input_s = 0;
  double backward_weight_s = 0;
  double bubble_s = 0;
  double exposed_comm_s = 0;
  double optimizer_s = 0;
};

// Network times measured in the SimGrid run (0 when communication is off).
struct TrainingCommTimes {
  double dispatch_forward_s = 0, combine_forward_s = 0;    // one MoE layer, one micro-batch
  double dispatch_backward_s = 0, combine_backward_s = 0;
  double p2p_s = 0;                                       // activations between adjacent stages
  double dp_reduce_scatter_s = 0, dp_all_gather_s = 0;    // ZeRO-1, per step (dense + expert groups)
  double tp_collective_s = 0;  // one TP all-gather or reduce-scatter of a micro-batch's hidden states (0 at tp = 1)
  double expert_imbalance = 1;                            // max / mean routed rows per GPU
};

struct TrainingResult {
  double step_time_s = 0;
  TrainingBreakdown breakdown;
  double mfu_causal = 0;      // model FLOPs (causal attention) / (time × GPUs × BF16 datasheet peak)
  double mfu_noncausal = 0;   // same with full attention FLOPs
  double tokens_per_s = 0;
  double gpu_hours_per_trillion_tokens = 0;
  double cost_usd = 0;        // for the scenario's token budget
  double token_budget = 0;
  double memory_per_gpu_bytes = 0;
  double hbm_bytes = 0;
  bool memory_fits = true;
  std::vector<std::string> warnings;
  int micro_batches = 0;
  TrainingCommTimes comm;
  std::vector<StageCompute> stages;
  PipelineResult pipeline;    // events: one per task; times in seconds from the step start
  double pipeline_makespan_s = 0;
};

// REQUIRES: `s` validated (configs::parse_training_scenario). Errors: infeasible (kInfeasible) when
// the busiest GPU's memory exceeds its HBM, naming both numbers; internal if the SimGrid child fails.
Result<TrainingResult> simulate_training(const configs::TrainingScenario& s, const models::CostModel& cost,
                                         const NetworkCalibration& cal);
// Same, with the network calibration embedded for the cluster's GPU.
Result<TrainingResult> simulate_training(const configs::TrainingScenario& s, const models::CostModel& cost);

}  // namespace moesim::sim
