// The serving search: enumerate instance candidates, evaluate them analytically (sharded over
// threads and MPI ranks), then combine the feasible prefill and decode instances of each
// (GPU, precision) into deployments sized for the load, ranked by the plan's objective with a
// Pareto front over ($/M output tokens, GPUs, TPOT).
//
// Combining is exact for the objectives because they are sums over the two pools: for each
// precision the prefill instances needing the fewest GPUs and the decode instances on the
// (GPUs, TPOT) Pareto front are crossed; every other pair is dominated.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "configs/plan_spec.hpp"
#include "models/cost_model.hpp"
#include "planner/search/serving_model.hpp"
#include "planner/search/serving_space.hpp"
#include "planner/search/sharding.hpp"

namespace moesim::planner::search {

// What the simulation said about a deployment (filled by refine.hpp; ok = false when not simulated).
struct SimulatedMetrics {
  bool ok = false;
  std::string error;         // why the simulation failed or was skipped
  double ttft_p_s = 0;       // at the SLO percentile
  double tpot_p_s = 0;
  double output_tokens_per_s_per_gpu = 0;
  bool meets_slo = false;
  bool cached = false;       // came from the result cache
};

struct DeploymentPlan {
  std::string key;           // prefill key + " + " + decode key
  InstanceCandidate prefill, decode;
  InstanceEstimate prefill_est, decode_est;
  int prefill_instances = 0, decode_instances = 0;
  int total_gpus = 0, total_nodes = 0;
  double usd_per_hour = 0;
  double usd_per_m_output_tokens = 0;      // GPU rental at the plan's prices
  double output_tokens_per_s_per_gpu = 0;  // over prefill and decode GPUs
  double power_kw = 0;                     // facility power (TDP × utilisation × PUE + node overhead)
  double energy_usd_per_m_output_tokens = 0;
  double gpu_hours_per_day = 0;
  bool pareto = false;
  std::string why;           // binding constraint and dominant objective, one line
  SimulatedMetrics simulated;
};

struct SearchStats {
  size_t instance_candidates = 0;   // valid candidates of the product, all evaluated analytically
  size_t feasible_prefill = 0, feasible_decode = 0;
  double deployments_covered = 0;   // prefill × decode pairs of the same precision (implicitly compared)
  size_t deployments_ranked = 0;    // pairs actually built after dominance pruning
  std::map<std::string, size_t> infeasible_by_binding;  // "prefill:hbm" -> count
};

struct ServingPlanResult {
  ServingLoad load;
  std::vector<DeploymentPlan> ranked;  // best first (objective, then key): every built deployment
  SearchStats stats;
};

// Progress callback: (done, total) evaluated candidates.
using ProgressFn = std::function<void(size_t, size_t)>;

// On ranks other than 0 returns an empty result. Errors: infeasible (exit 3) naming the constraint that binds.
Result<ServingPlanResult> search_serving(const configs::PlanSpec& plan, const models::CostModel& cost,
                                         const ShardContext& ctx, const ProgressFn& progress = {});
// The same with a model the caller keeps (`moesim plan` also draws the report's heatmap from it).
// REQUIRES: `model` was built for `plan`.
Result<ServingPlanResult> search_serving(const configs::PlanSpec& plan, const ServingModel& model,
                                         const ShardContext& ctx, const ProgressFn& progress = {});

// Ranks deployments by objective (cost | gpus | throughput) and marks the Pareto front.
void rank_deployments(const std::string& objective, std::vector<DeploymentPlan>* deployments);

// Which of `points` (each a vector of objectives to minimise) no other point dominates.
std::vector<bool> pareto_front(const std::vector<std::vector<double>>& points);

}  // namespace moesim::planner::search
