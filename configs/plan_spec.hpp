// A planning question (`moesim plan PLAN.yaml`): which model, which GPUs, what load or training job,
// which constraints, and the search space (lists of values whose product is enumerated). Plain
// structs with defaults in place; parse/load validate them once and report every problem.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/dtype.hpp"
#include "models/hardware_spec.hpp"
#include "models/model_spec.hpp"
#include "models/result.hpp"

namespace moesim::configs {

enum class PlanKind { kServing, kTraining };

// One GPU type the search may use, with the node it comes in.
struct PlanGpuSpec {
  std::string gpu_name;               // catalog name or path
  std::string cluster_name;           // optional one-node catalog cluster; "" = 8-GPU node built from the GPU spec
  models::ClusterSpec node;           // resolved: one node (nodes = 1)
  double price_usd_per_gpu_hour = 0;  // resolved: the override, else the catalog price
};

// Money and power assumptions printed in every report.
struct PlanAssumptions {
  double electricity_usd_per_kwh = 0.10;
  double pue = 1.3;                   // facility power / IT power
  double power_utilization = 0.7;     // average draw as a fraction of TDP
  double target_utilization = 0.8;    // serving: fraction of a fleet's capacity used on average
  double node_overhead_w = 0;         // CPUs, NICs, fans per node, on top of the GPUs' draw
};

// Serving load in the form DeepSeek published it (T2): tokens per day, cache hits, KV length.
struct ServingLoadSpec {
  double input_tokens_per_day = 0;    // prompt tokens, cache hits included
  double output_tokens_per_day = 0;
  double prefix_cache_hit_rate = 0;   // fraction of input tokens served from the KV cache
  double mean_kv_tokens = 4096;       // average context length per decoded token
  // Per-request lengths; 0 = derived from the day totals and mean_kv_tokens (mean_kv = in + out/2).
  double mean_input_tokens = 0;
  double mean_output_tokens = 0;
};

struct ServingSloSpec {
  double ttft_s = 5.0;
  double ttft_percentile = 0.9;       // fraction (0.9 = p90)
  double tpot_s = 0.05;
  double tpot_percentile = 0.9;
};

// Lists enumerated by the serving search (their product, pruned by validity).
struct ServingSpaceSpec {
  std::vector<models::DType> weight_dtypes = {models::DType::kBf16, models::DType::kFp8, models::DType::kFp4};
  std::vector<models::DType> kv_cache_dtypes = {models::DType::kBf16, models::DType::kFp8};
  std::vector<models::DType> dispatch_dtypes = {models::DType::kBf16, models::DType::kFp8};
  std::vector<int64_t> prefill_nodes = {1, 2, 4, 8};
  std::vector<int64_t> decode_nodes = {1, 2, 4, 8, 9, 16, 18, 32, 36, 40};
  std::vector<int64_t> attention_tp = {1, 4, 8};           // 1 = attention data-parallel on every GPU
  std::vector<int64_t> redundant_experts = {0, 32, 64};
  std::vector<int64_t> decode_batch_per_gpu = {16, 24, 32, 48, 64, 96, 128, 160, 192, 256};
  std::vector<int64_t> prefill_tokens_per_gpu = {4096, 8192, 16384};
};

struct ServingPlanSpec {
  ServingLoadSpec load;
  ServingSloSpec slo;
  ServingSpaceSpec space;
  int64_t max_gpus = 0;               // GPU count budget (0 = none)
  double max_usd_per_hour = 0;        // money budget (0 = none)
  int64_t mtp_draft_tokens = 1;
  double mtp_acceptance_rate = 0.85;
  double activation_reserve_bytes = 6e9;  // HBM per GPU kept for activations, buffers, CUDA context
  // Requests per refinement simulation; 0 = enough for the decode batch to reach steady state
  // (planner/search/refine.cpp: Little's law on the planned TTFT and TPOT).
  int64_t simulated_requests = 0;
  // Expert popularity skew assumed for placement (Zipf exponent over experts; 0 = balanced). An
  // assumption until measured loads are given; EPLB's redundant experts then flatten it.
  double expert_zipf_exponent = 0.6;
};

enum class TrainingSchedule { k1F1B, kZb1p, kDualPipe };

struct TrainingSpaceSpec {
  std::vector<int64_t> nodes = {64, 128, 256, 512};
  std::vector<int64_t> pp = {1, 2, 4, 8, 16};
  std::vector<int64_t> ep = {8, 16, 32, 64};
  std::vector<int64_t> tp = {1, 2, 4, 8};
  std::vector<TrainingSchedule> schedules = {TrainingSchedule::k1F1B, TrainingSchedule::kDualPipe};
  std::vector<int64_t> micro_batch_sequences = {1, 2};
  std::vector<int> recompute = {0, 1, 2};  // models::Recompute values
  std::vector<models::DType> gemm_dtypes = {models::DType::kBf16, models::DType::kFp8};
};

struct TrainingPlanSpec {
  double tokens = 0;                  // tokens to train on (0 = the model's pretraining_tokens)
  double deadline_s = 0;              // 0 = none
  int64_t global_batch_sequences = 15360;
  int64_t sequence_tokens = 4096;
  int64_t max_gpus = 0;
  TrainingSpaceSpec space;
};

struct PlanSpec {
  std::string name, description;
  std::string display_path;           // where it was read from (messages)
  PlanKind kind = PlanKind::kServing;
  std::string model_name;
  models::ModelSpec model;            // resolved by the loader
  std::vector<PlanGpuSpec> gpus;
  PlanAssumptions assumptions;
  std::string objective = "cost";     // serving: cost | gpus | throughput; training: time | cost | mfu
  int64_t top = 20;                   // rows refined by simulation and listed
  uint64_t seed = 1;
  ServingPlanSpec serving;
  TrainingPlanSpec training;
};

const char* plan_kind_name(PlanKind kind);
const char* schedule_name(TrainingSchedule schedule);

Result<PlanSpec> parse_plan_spec(const std::string& yaml_text, const std::string& display_path);
// Catalog scenario name (configs/scenarios/NAME.yaml) or path.
Result<PlanSpec> load_plan_spec(std::string_view name_or_path);

// The node a GPU comes in when the plan names no cluster: 8 GPUs on a switch at 80 % of half the
// GPU's bidirectional scale-up bandwidth (DeepSeek's achieved fraction on H800), one NIC per GPU.
models::ClusterSpec default_node_for(const models::GpuSpec& gpu);

}  // namespace moesim::configs
