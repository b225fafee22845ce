// Refinement of the best serving deployments by simulation: each is written as a serving scenario
// YAML (plus the cluster files it names) and run by a child `moesim simulate serve FILE --json`
// (sim_runner.hpp: temp dir, child process, cache).
#pragma once

#include <string>
#include <vector>

#include "configs/plan_spec.hpp"
#include "planner/search/serving_search.hpp"
#include "planner/search/sim_runner.hpp"

namespace moesim::planner::search {

// One decode instance of the deployment with the prefill instances matched to it, fed its share
// of the plan's request rate (requests/s ÷ decode instances) for `serving.simulated_requests` requests.
ScenarioFiles serving_scenario_for(const configs::PlanSpec& plan, const DeploymentPlan& d, const ServingLoad& load);

// Reads `moesim simulate serve --json` output (ttft_s/tpot_s percentiles, decode tokens/s per GPU).
SimulatedMetrics parse_serve_json(const std::string& text, const configs::ServingSloSpec& slo);
// A child run's outcome: its JSON when it exited 0, else the error it printed.
SimulatedMetrics serve_metrics_of(const SimulationRun& run, const configs::ServingSloSpec& slo);

// Simulates the first `k` deployments with `jobs` threads (each running one child process).
void refine_top(const configs::PlanSpec& plan, const ServingLoad& load, std::vector<DeploymentPlan>* ranked, int k,
                const ScenarioRunner& runner, int jobs, const ProgressFn& progress = {});

// Re-orders the first `k` rows by what their simulation said: confirmed (meets the SLO) first, then
// rows whose simulation failed or did not run, then rows the simulation says miss the SLO; the
// analytical order is kept within each group. Appends the simulated figures to each row's `why`.
void apply_refinement(std::vector<DeploymentPlan>* ranked, int k);

}  // namespace moesim::planner::search
