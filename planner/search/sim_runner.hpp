// Running `moesim simulate train|serve` on a written scenario in a child process, for the refinement
// of a plan's best rows (serving: refine.hpp, training: training_refine.hpp). SimGrid allows one
// Engine per process, so each scenario is written with the files it names into a temp dir and
// simulated by the running binary (found via /proc/self/exe). Runs are cached by a hash of the
// scenario text, in memory and optionally in a directory. The ScenarioRunner interface lets tests
// substitute a fake.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "models/hardware_spec.hpp"

namespace moesim::planner::search {

// A scenario for `moesim simulate COMMAND` and the extra files it references. The scenario names
// them as "@DIR@/NAME"; @DIR@ becomes the temp dir, so the text (and its hash) does not depend on it.
struct ScenarioFiles {
  std::string command;        // "train" or "serve"
  std::string scenario_yaml;
  std::vector<std::pair<std::string, std::string>> files;  // (file name, text)
  std::string canonical() const;  // command and all texts, in order: what the cache hashes
};

// What one child run printed.
struct SimulationRun {
  int exit_code = -1;         // the child's exit status; -1: it could not be started
  std::string json;           // its stdout (the --json document when exit_code is 0)
  std::string error;          // first line of its stderr, or why it could not run
  bool cached = false;        // came from the cache
};

class ScenarioRunner {
 public:
  virtual ~ScenarioRunner() = default;
  // Thread-safe.
  virtual SimulationRun run(const ScenarioFiles& scenario) const = 0;
};

// Runs `exe simulate COMMAND DIR/scenario.yaml --json EXTRA_ARGS...` (extra args: e.g. the
// plan's --calibration files, so the child uses the parent's cost model).
class SubprocessRunner : public ScenarioRunner {
 public:
  SubprocessRunner(std::string exe, std::vector<std::string> extra_args)
      : exe_(std::move(exe)), extra_args_(std::move(extra_args)) {}
  SimulationRun run(const ScenarioFiles& scenario) const override;

 private:
  std::string exe_;
  std::vector<std::string> extra_args_;
};

// Caches runs by fnv1a(canonical() + salt); `salt` names whatever else decides the result (the
// cost model's calibration). On disk (`dir` non-empty) only completed runs are kept: exit 0, and
// exit 3 (the scenario is infeasible, e.g. does not fit in memory).
class CachedRunner : public ScenarioRunner {
 public:
  CachedRunner(const ScenarioRunner& inner, std::string dir, std::string salt = "")
      : inner_(inner), dir_(std::move(dir)), salt_(std::move(salt)) {}
  SimulationRun run(const ScenarioFiles& scenario) const override;
  size_t hits() const;

 private:
  const ScenarioRunner& inner_;
  std::string dir_, salt_;
  mutable std::mutex mu_;
  mutable std::map<std::string, SimulationRun> memo_;
  mutable size_t hits_ = 0;
};

// Calls fn(0..n-1) on `jobs` threads (the caller's included); progress(done, n) after each call,
// serialised.
void for_each_parallel(size_t n, int jobs, const std::function<void(size_t)>& fn,
                       const std::function<void(size_t, size_t)>& progress = {});

// A cluster YAML (configs/clusters format) of `nodes` copies of the one-node `node`.
std::string cluster_yaml(const models::ClusterSpec& node, int nodes);

// `v` with 9 significant digits, as written into scenario YAML.
std::string yaml_number(double v);

// Path of the running executable ("" if unknown).
std::string self_executable();

}  // namespace moesim::planner::search
