// Refinement of the best deployments by simulation. SimGrid allows one Engine per process, so each
// deployment is written as a serving scenario YAML (plus the cluster files it names) into a temp
// dir and simulated by a child `moesim simulate serve FILE --json` (the running binary, found via
// /proc/self/exe). Results are cached by a hash of the scenario text, in memory and optionally in
// a directory. The DeploymentSimulator interface lets tests substitute a fake.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "configs/plan_spec.hpp"
#include "planner/search/serving_search.hpp"

namespace moesim::planner::search {

// A scenario and the extra files it references, by file name relative to its directory.
struct ScenarioFiles {
  std::string scenario_yaml;
  std::vector<std::pair<std::string, std::string>> files;
  std::string canonical() const;  // all texts, in order: what the cache hashes
};

// One decode instance of the deployment with the prefill instances matched to it, fed its share
// of the plan's request rate (requests/s ÷ decode instances) for `serving.simulated_requests` requests.
ScenarioFiles serving_scenario_for(const configs::PlanSpec& plan, const DeploymentPlan& d, const ServingLoad& load);

class DeploymentSimulator {
 public:
  virtual ~DeploymentSimulator() = default;
  // Thread-safe.
  virtual SimulatedMetrics simulate(const ScenarioFiles& scenario) const = 0;
};

// Runs `exe simulate serve DIR/scenario.yaml --json` and reads the SLO percentiles from its JSON.
class SubprocessSimulator : public DeploymentSimulator {
 public:
  SubprocessSimulator(std::string exe, const configs::ServingSloSpec& slo) : exe_(std::move(exe)), slo_(slo) {}
  SimulatedMetrics simulate(const ScenarioFiles& scenario) const override;

 private:
  std::string exe_;
  configs::ServingSloSpec slo_;
};

// Parses `moesim simulate serve --json` output (ttft_s/tpot_s percentiles, decode tokens/s per GPU).
SimulatedMetrics parse_serve_json(const std::string& text, const configs::ServingSloSpec& slo);

class CachedSimulator : public DeploymentSimulator {
 public:
  // `cache_dir` may be empty (memory only).
  CachedSimulator(const DeploymentSimulator& inner, std::string cache_dir) : inner_(inner), dir_(std::move(cache_dir)) {}
  SimulatedMetrics simulate(const ScenarioFiles& scenario) const override;
  size_t hits() const { return hits_; }

 private:
  const DeploymentSimulator& inner_;
  std::string dir_;
  mutable std::mutex mu_;
  mutable std::map<std::string, SimulatedMetrics> memo_;
  mutable size_t hits_ = 0;
};

// Simulates the first `k` deployments with `jobs` threads (each running one child process).
void refine_top(const configs::PlanSpec& plan, const ServingLoad& load, std::vector<DeploymentPlan>* ranked, int k,
                const DeploymentSimulator& simulator, int jobs);

// Re-orders the first `k` rows by what their simulation said: confirmed (meets the SLO) first, then
// rows whose simulation failed or did not run, then rows the simulation says miss the SLO; the
// analytical order is kept within each group. Appends the simulated figures to each row's `why`.
void apply_refinement(std::vector<DeploymentPlan>* ranked, int k);

// Path of the running executable ("" if unknown).
std::string self_executable();

}  // namespace moesim::planner::search
