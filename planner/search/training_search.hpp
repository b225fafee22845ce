// The training search: GPU type × nodes × PP × EP × TP (DP = the rest) × schedule × micro-batch ×
// recompute × GEMM precision, pruned by memory and a deadline, ranked by time, $ or MFU.
//
// Analytical step time (level (a)), per GPU of the slowest pipeline stage:
// 1. F, B (= dgrad + W) and W per micro-batch from the op graph and the cost model: attention and
//    dense FFN split by TP, routed experts for tokens × top-k rows reading weights of experts / EP;
//    recompute adds a forward of the recomputed part (selective: attention projections; full: all).
//    Stages are cut as `simulate train` cuts them (sim::balanced_partition, LM head and MTP on the
//    last layer), and the stage with the most work is the one costed.
// 2. All-to-all per MoE layer (dispatch + combine, forward and backward), α-β over NVLink and NIC;
//    DualPipe overlaps it with compute (max), 1F1B and ZB1P add it.
// 3. Tensor parallelism (tp > 1), counted as `moesim simulate train` does (sim/training_costs.cpp):
//    per micro-batch and direction one sequence-parallel all-gather and one reduce-scatter of the
//    micro-batch's BF16 hidden states around attention and around the dense FFN or shared experts
//    of every layer of the stage, plus embedding (1), head (1) and each MTP module (3 + its layer's)
//    spread over the PP stages; each an α-β ring inside a node: (tp-1)/tp × tokens × hidden × 2 B /
//    one-way scale-up bandwidth + (tp-1) × scale-up latency. Never overlapped (not even DualPipe).
// 4. Step = micro-batches × (F + B) + bubble (shared/reference T4: 1F1B (PP-1)(F+B), ZB1P
//    (PP-1)(F+B-2W), DualPipe (PP/2-1)(F&B+B-3W)) + exposed all-to-all + micro-batches × TP
//    collectives + exposed ZeRO-1 gradient reduce-scatter/all-gather.
// 5. Memory: bf16 weights/grads + fp32 master/Adam sharded over DP (models::training_state_bytes,
//    DualPipe holds 2× parameters) + activations of the micro-batches in flight (PP; PP+1 DualPipe).
#pragma once

#include <string>
#include <vector>

#include "configs/plan_spec.hpp"
#include "models/cost_model.hpp"
#include "planner/search/serving_search.hpp"
#include "planner/search/sharding.hpp"

namespace moesim::planner::search {

struct TrainingCandidate {
  int gpu_index = 0;
  int nodes = 1;
  int pp = 1, ep = 1, tp = 1, dp = 1;
  configs::TrainingSchedule schedule = configs::TrainingSchedule::k1F1B;
  int micro_batch = 1;
  int recompute = 0;  // models::Recompute
  models::DType gemm_dtype = models::DType::kBf16;
};

std::string canonical_key(const TrainingCandidate& c, const configs::PlanSpec& plan);
std::vector<TrainingCandidate> enumerate_training(const configs::PlanSpec& plan);

struct TrainingEstimate {
  bool feasible = false;
  int binding = 0;             // 0 none, 1 hbm, 2 deadline
  double step_s = 0;
  double compute_s = 0;        // m × (F + B)
  double bubble_s = 0;
  double comm_exposed_s = 0;   // all-to-all not hidden + TP collectives + gradient sync
  double hbm_used_bytes = 0, hbm_usable_bytes = 0;
  double time_to_train_s = 0;
  double gpu_hours = 0;
  double total_usd = 0;
  double mfu = 0;              // training FLOPs (ISCA'25 count) / (GPUs × bf16 datasheet peak)
  double tp_comm_s = 0;        // the TP collectives' part of comm_exposed_s (0 at tp = 1)
};
inline constexpr int kTrainingFields = 13;

// What `moesim simulate train` said about a layout (filled by training_refine.hpp; nothing is set
// when the row was not simulated). Money and time use the plan's tokens and prices, MFU the same
// definition as TrainingEstimate::mfu, so the two are comparable.
struct TrainingSimulated {
  bool ran = false;            // a simulation was run (or came from the cache) for this row
  bool ok = false;             // it ran and its JSON was read
  std::string error;           // why it failed, was not run, or why the layout does not fit
  bool fits = true;            // false: simulated memory exceeds HBM (the child exits 3)
  double step_s = 0, bubble_s = 0, exposed_comm_s = 0;
  double memory_per_gpu_bytes = 0, hbm_bytes = 0;
  double mfu = 0;
  double mfu_causal = 0;       // the simulator's own figure (causal attention FLOPs)
  double time_to_train_s = 0, gpu_hours = 0, total_usd = 0;
  bool meets_deadline = true;
  int analytical_rank = 0;     // 1-based rank before refinement re-ordered the rows
  bool cached = false;
};

struct TrainingPlanRow {
  std::string key;
  TrainingCandidate candidate;
  TrainingEstimate estimate;
  bool pareto = false;
  std::string why;
  TrainingSimulated simulated;
};

struct TrainingPlanResult {
  std::vector<TrainingPlanRow> ranked;
  size_t candidates = 0, feasible = 0;
  std::map<std::string, size_t> infeasible_by_binding;
};

class TrainingModel {
 public:
  TrainingModel(const configs::PlanSpec& plan, const models::CostModel& cost);
  TrainingEstimate evaluate(const TrainingCandidate& c) const;

 private:
  struct Chunk {
    double f = 0, b = 0, w = 0, a2a = 0;  // per micro-batch per stage
    double tp = 0;                        // TP collectives, forward + backward (exposed)
  };
  Chunk chunk(const TrainingCandidate& c) const;
  const configs::PlanSpec& plan_;
  const models::CostModel& cost_;
};

Result<TrainingPlanResult> search_training(const configs::PlanSpec& plan, const models::CostModel& cost,
                                           const ShardContext& ctx, const ProgressFn& progress = {});

}  // namespace moesim::planner::search
