// Refinement of the best training layouts by simulation. Each is written as a training scenario
// (configs/scenarios format, on a cluster file of the candidate's node count) and run by a child
// `moesim simulate train FILE --json` (sim_runner.hpp: temp dir, child process, cache). The
// simulated rows are then re-ranked among themselves by the plan's objective on their simulated
// figures; rows the simulator cannot model (TP > 1) keep their analytical place, with a note.
#pragma once

#include <string>
#include <vector>

#include "configs/plan_spec.hpp"
#include "planner/search/sim_runner.hpp"
#include "planner/search/training_search.hpp"

namespace moesim::planner::search {

// Rows refined when neither the plan nor the command line says otherwise: min(top, this). A
// DeepSeek-V3-sized step takes seconds of simulation, so 8 keeps `moesim plan` near a minute.
inline constexpr int kDefaultTrainingRefine = 8;

// The layout as a scenario: model, a cluster of c.nodes nodes of the plan's GPU (cluster.yaml),
// PP/DP/EP/TP, schedule, micro-batch, recompute, GEMM (and dispatch) precision, ZeRO-1 state with
// the analytical level's bytes per parameter, the plan's price and tokens, and hbm_check: error.
ScenarioFiles training_scenario_for(const configs::PlanSpec& plan, const TrainingCandidate& c);

// A child run's outcome for this row: its figures (exit 0), "does not fit" (exit 3), or the error.
TrainingSimulated train_metrics_of(const SimulationRun& run, const configs::PlanSpec& plan, const TrainingCandidate& c);

// Why `moesim simulate train` cannot model this layout, or "" when it can: its TP groups must lie
// inside a node and split the attention heads and the micro-batch's tokens evenly.
std::string not_simulable_reason(const configs::PlanSpec& plan, const TrainingCandidate& c);

// Simulates the best `k` simulable rows with `jobs` threads (each running one child process) and
// sets `simulated` on them; listed rows ranked above the last of them that cannot be simulated get
// `simulated.error` saying why.
void refine_training_top(const configs::PlanSpec& plan, std::vector<TrainingPlanRow>* ranked, int k,
                         const ScenarioRunner& runner, int jobs, const ProgressFn& progress = {});

// Re-orders the rows that were simulated (simulated.ran) within the places they hold: those that
// fit and meet the deadline first, by the plan's objective on their simulated figures; then those
// whose simulation failed (analytical order); then those the simulation says do not fit or miss
// the deadline. Every other row keeps its place. Records each simulated row's analytical rank and
// says in `why` what the simulation changed.
void apply_training_refinement(const configs::PlanSpec& plan, std::vector<TrainingPlanRow>* ranked);

}  // namespace moesim::planner::search
