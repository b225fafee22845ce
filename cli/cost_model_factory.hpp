// The one cost model every command that times ops uses (simulate train/serve, validate, plan):
// kernel calibration tables (`--calibration FILE`, repeatable; without it the tables embedded from
// traces/calibration) over the roofline. Ops no table covers, and every op when no table is
// loaded, are timed by models::RooflineCostModel exactly.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "models/cost_model.hpp"
#include "models/result.hpp"

namespace moesim::cli {

struct CostModelChoice {
  std::shared_ptr<const models::CostModel> model;
  // "calibrated (N tables: FILE (gpu), ...; roofline elsewhere)" or
  // "roofline (uncalibrated default efficiencies)": what every output's `cost_model` says.
  std::string description;
  // Hash of the tables' contents ("" when uncalibrated): part of simulation cache keys.
  std::string fingerprint;
};

// Same semantics as `moesim cost --calibration`: files given replace the embedded tables. A
// missing or malformed file is bad input (exit 2), one line naming it.
Result<CostModelChoice> make_cost_model(const std::vector<std::string>& calibration_files);

// Registers `--calibration FILE` (repeatable) on `sub`.
void add_calibration_option(CLI::App* sub, std::vector<std::string>* files);

}  // namespace moesim::cli
