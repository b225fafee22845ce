// Level (a) of DESIGN.md's simulation method for serving: a closed-form estimate of one instance's
// iteration time, capacity, latency and HBM use, in microseconds per candidate. What it computes:
//
// 1. Memory per GPU: non-expert weights (split by attention TP) + its routed-expert slots + the KV
//    cache of its requests (MLA's latent is shared by heads, so attention TP replicates it) + reserve.
// 2. Compute per layer from the model's op graph and the cost model, per GPU: attention for the
//    requests of its attention group divided by TP (the MLA decode core's KV reads are not divided),
//    shared expert for its own tokens, routed experts for tokens × top-k × (max/mean GPU load of an
//    EPLB placement of Zipf-skewed loads) rows reading only its own slots' weights.
//    Prefill attention is that of the busiest attention group of a typical full batch: the plan's
//    requests (lognormal lengths) chunked and balanced over the groups as `simulate serve` does.
// 3. All-to-all per MoE layer, α-β: decode sends each token to each distinct destination GPU
//    (low-latency kernels, no SMs taken); prefill sends each token once per distinct remote node
//    (≤ the model's node limit) and forwards over NVLink (normal kernels, 20 of 132 SMs taken).
// 4. Two micro-batches overlap compute with all-to-all across layers: a step costs
//    Σ_layers max(C, A) + min(C, A) / 2 once (the pipeline's fill and drain).
// 5. Decode: TPOT at the batch limit = step / (1 + draft × acceptance) (the batch limit is the worst
//    case a percentile can see). Prefill: TTFT at percentile p ≈ KV transfer + iterations to cover a
//    prompt + one iteration boundary + an M/M/1 wait share × ρ/(1-ρ) × ln(1/(1-p)) at target
//    utilisation ρ, where share = the request's fraction of one iteration's tokens × step.
// Uncalibrated parts are labelled in the plan result; the best candidates are refined by simulation.
#pragma once

#include <map>
#include <tuple>
#include <vector>

#include "configs/plan_spec.hpp"
#include "models/cost_model.hpp"
#include "planner/search/serving_space.hpp"

namespace moesim::planner::search {

enum class Binding { kNone = 0, kHbm = 1, kTpot = 2, kTtft = 3 };
const char* binding_name(Binding b);

// All numbers, no strings, so that MPI ranks can ship estimates as doubles.
struct InstanceEstimate {
  bool feasible = false;
  Binding binding = Binding::kNone;   // the violated constraint, or (feasible) the one closest to its bound
  double step_s = 0;                  // one iteration
  double compute_s = 0;               // per iteration, before overlap
  double comm_s = 0;                  // all-to-all per iteration, before overlap
  double capacity_tokens_per_s = 0;   // per instance: decode output tokens/s, prefill uncached input tokens/s
  double latency_s = 0;               // decode: TPOT; prefill: TTFT at the SLO percentile
  double hbm_used_bytes = 0;          // per GPU
  double hbm_usable_bytes = 0;
  double weight_bytes_per_gpu = 0;
  double kv_bytes_per_gpu = 0;
  double expert_imbalance = 1;        // max / mean routed rows per GPU after placement
};

inline constexpr int kEstimateFields = 13;
std::vector<double> pack(const InstanceEstimate& e);
InstanceEstimate unpack(const double* fields);

// Request lengths are lognormal with this coefficient of variation wherever the plan needs more than
// their means (the day totals give only means): in the prefill batches below, in the mean KV length
// identity of derive_load and in the refinement scenarios. The T2 scenario makes the same choice.
inline constexpr double kPlanLengthCv = 0.5;

// Load derived from the plan's day totals.
struct ServingLoad {
  double prefill_tokens_per_s = 0;    // uncached input tokens
  double input_tokens_per_s = 0;      // cache hits included
  double output_tokens_per_s = 0;
  double mean_input_tokens = 0;
  double mean_output_tokens = 0;
  double requests_per_s = 0;
};
ServingLoad derive_load(const configs::ServingPlanSpec& s);

class ServingModel {
 public:
  // Precomputes expert imbalance for every (GPUs, nodes, redundant) the space can produce.
  // REQUIRES: a validated serving plan; `cost` outlives the model.
  ServingModel(const configs::PlanSpec& plan, const models::CostModel& cost);

  // Thread-safe (const, no caches written).
  InstanceEstimate evaluate(const InstanceCandidate& c) const;

  const ServingLoad& load() const { return load_; }
  // Per-GPU routed-expert load (mean 1) of the EPLB placement used for (gpus, nodes, redundant), layer 0..L.
  std::vector<std::vector<double>> gpu_load_matrix(int gpus, int nodes, int redundant) const;
  double imbalance(int gpus, int nodes, int redundant) const;

 private:
  struct StepParts {
    double compute_s = 0, comm_s = 0, step_s = 0;
  };
  StepParts decode_step(const InstanceCandidate& c, double imbalance) const;
  StepParts prefill_step(const InstanceCandidate& c, double imbalance) const;
  double ops_s(const std::vector<models::Op>& ops, const models::GpuSpec& gpu, double flop_div, double byte_div) const;
  double moe_ffn_s(const std::vector<models::Op>& ffn, const InstanceCandidate& c, double rows_per_gpu) const;
  double all_to_all_s(const InstanceCandidate& c, double tokens_per_gpu, bool per_node) const;
  double weight_bytes_per_gpu(const InstanceCandidate& c) const;
  double kv_bytes_per_gpu(const InstanceCandidate& c) const;

  const configs::PlanSpec& plan_;
  const models::CostModel& cost_;
  ServingLoad load_;
  std::vector<models::GpuSpec> gpus_;  // clock-throttled peaks
  std::map<std::tuple<int, int, int>, double> imbalance_;
  // Busiest attention group of a typical full prefill batch, by (groups, tokens per group): the
  // plan's requests packed as `moesim simulate serve` packs them (sim/serving/prefill_batch.hpp).
  struct PrefillShape {
    double sequences = 1, new_tokens = 1, context_tokens = 1;
  };
  std::map<std::pair<int, int64_t>, PrefillShape> prefill_shapes_;
};

}  // namespace moesim::planner::search
