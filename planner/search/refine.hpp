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

// How long a refinement simulation runs: `requested` requests when given, else enough for the
// decode batch to fill (Little's law on the planned TTFT and TPOT) before measuring starts.
struct SimulationWindow {
  int64_t requests = 0;
  double warmup_fraction = 0.25;  // left out at the start and at the end (simulate serve's window)
};
inline constexpr double kMinSimulatedWindowS = 60;
inline constexpr int64_t kMinSimulatedRequests = 500, kMaxSimulatedRequests = 400000;
SimulationWindow steady_state_window(int64_t requested, const DeploymentPlan& d, const ServingLoad& load,
                                     double rate_per_s);

// The smallest slice of the fleet whose prefill:decode ratio is within 10 % of the plan's (up to 4
// decode instances; else the closest), so the simulation neither starves nor spoils prefill.
struct SimulatedFleet {
  int prefill_instances = 1, decode_instances = 1;
};
inline constexpr int kMaxSimulatedDecodeInstances = 4;
inline constexpr double kFleetRatioTolerance = 0.10;
SimulatedFleet simulated_fleet(const DeploymentPlan& d);

// That slice of the deployment, fed its share of the plan's request rate, for
// steady_state_window's requests.
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
