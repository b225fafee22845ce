// Plan results as JSON text (schema_version 1): what `moesim plan --json` prints, what
// `moesim report` and the notebooks read. Returned as text so nlohmann_json stays private here.
// Deterministic: no timings or host names, so a 2-rank MPI run prints exactly a 1-process run.
#pragma once

#include <string>

#include "configs/plan_spec.hpp"
#include "planner/search/serving_model.hpp"
#include "planner/search/serving_search.hpp"
#include "planner/search/training_search.hpp"

namespace moesim::planner::search {

inline constexpr int kPlanSchemaVersion = 1;

// `top` rows of the ranking plus every Pareto row; `heatmap_model` (may be null) supplies the
// per-GPU expert loads of the recommended decode instance. `cost_model` says which cost model
// produced the numbers (e.g. "roofline (uncalibrated default efficiencies)").
std::string serving_result_json(const configs::PlanSpec& plan, const ServingPlanResult& result, int top,
                                const ServingModel* heatmap_model, const std::string& cost_model);
std::string training_result_json(const configs::PlanSpec& plan, const TrainingPlanResult& result, int top,
                                 const std::string& cost_model);

// The resolved plan as canonical JSON (its hash: moesim::fnv1a_hex, models/hash.hpp).
std::string plan_json(const configs::PlanSpec& plan);

}  // namespace moesim::planner::search
