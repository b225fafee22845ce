// Iteration times and memory of one serving instance (prefill or decode): per-GPU compute from the
// op graph and the cost model (slowest GPU sets each MoE layer), expert-parallel all-to-all times
// from SimGrid step simulations of the instance's own platform and byte matrices (routing ×
// placement), and the two-micro-batch overlap of compute with communication.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "configs/serving_scenario.hpp"
#include "models/cost_model.hpp"
#include "models/op_graph.hpp"
#include "models/result.hpp"
#include "sim/serving/expert_routing.hpp"

namespace moesim::sim::serving {

enum class Role { kPrefill, kDecode };
const char* role_name(Role role);

// HBM of one GPU of the instance.
struct MemoryBudget {
  double usable_bytes = 0;
  double weight_bytes = 0;             // weights this GPU holds (attention, shared + its routed experts, head)
  double reserve_bytes = 0;            // activations, communication buffers, CUDA context
  double kv_bytes_per_token = 0;       // MLA cache over all layers (+ the MTP layer when used)
  double kv_capacity_tokens = 0;       // per attention group (a DP rank, or a TP group sharing one cache)
};

// All-to-all seconds by tokens per GPU per micro-batch, simulated at bucket points and interpolated.
struct CommTable {
  std::vector<double> tokens;          // ascending bucket points
  std::vector<double> dispatch_s, combine_s;
  double at(const std::vector<double>& times, double tokens_per_gpu) const;
};

// Where one iteration's time goes (seconds; per-layer figures are for one MoE layer, both micro-batches).
struct StepBreakdown {
  double attention_per_moe_layer_s = 0;  // compute, per GPU
  double ffn_per_moe_layer_s = 0;        // shared + routed experts on the busiest GPU
  double comm_per_moe_layer_s = 0;       // dispatch + combine
  double moe_layer_s = 0;                // after overlap
  double dense_layers_s = 0, head_s = 0, mtp_s = 0, exposed_dispatch_s = 0;
  double total_s = 0;
};

class InstanceModel {
 public:
  // Builds the memory budget, routing and the communication table (one SimGrid child process).
  // Errors: bad input (placement/load files), infeasible (weights do not fit in HBM).
  static Result<InstanceModel> build(const configs::ServingScenarioSpec& scenario, Role role,
                                     const models::CostModel& cost);

  Role role() const { return role_; }
  int gpus() const { return gpus_; }
  int nodes() const { return nodes_; }
  // DP ranks that hold their own requests (GPUs / attention_tp).
  int attention_groups() const { return gpus_ / attention_tp_; }
  const MemoryBudget& memory() const { return memory_; }
  const CommTable& comm() const { return comm_; }
  double max_over_mean_expert_rows() const { return traffic_.max_over_mean_rows; }
  double kv_transfer_latency_s() const { return kv_latency_s_; }
  double kv_transfer_bw_bytes_per_s() const { return kv_bw_; }

  // One chunked-prefill iteration: per attention group `sequences` sequences with `new_tokens`
  // new tokens each, attending to `context_tokens` (cached prefix + new) each.
  double prefill_step_s(double sequences, double new_tokens, double context_tokens) const;
  // One decode iteration: the busiest attention group runs `requests` requests of mean KV length
  // `context_tokens`; each request verifies 1 + draft tokens; the MTP module drafts afterwards.
  double decode_step_s(int64_t requests, double context_tokens) const;
  StepBreakdown prefill_breakdown(double sequences, double new_tokens, double context_tokens) const;
  StepBreakdown decode_breakdown(int64_t requests, double context_tokens) const;

 private:
  struct LayerTimes {
    double dense_layer_s = 0, moe_attention_s = 0, moe_ffn_s = 0, head_s = 0;
  };
  LayerTimes compute_times(models::Phase phase, const models::BatchShape& per_group, double tokens_per_gpu) const;
  StepBreakdown step_from(models::Phase phase, const models::BatchShape& per_group, bool with_mtp) const;
  models::BatchShape prefill_shape(double sequences, double new_tokens, double context_tokens) const;
  models::BatchShape decode_shape(int64_t requests, double context_tokens) const;
  double op_list_s(const std::vector<models::Op>& ops) const;

  Role role_ = Role::kPrefill;
  models::ModelSpec model_;
  configs::MtpSpec mtp_;
  models::DType dispatch_dtype_ = models::DType::kFp8, combine_dtype_ = models::DType::kBf16;
  const models::CostModel* cost_ = nullptr;
  models::GpuSpec gpu_;                 // clock-throttled peaks
  models::PrecisionSpec precision_;
  int gpus_ = 1, nodes_ = 1, attention_tp_ = 1, micro_batches_ = 2, slots_per_gpu_ = 1;
  double sm_factor_ = 1;                // compute slowdown while all-to-all kernels hold SMs
  MemoryBudget memory_;
  EpTrafficPerToken traffic_;
  CommTable comm_;
  double kv_latency_s_ = 0, kv_bw_ = 1;
  mutable std::map<std::tuple<int, int64_t, int64_t, int64_t>, double> memo_;
};

}  // namespace moesim::sim::serving
