// Builds the calibrated cost model from calibration files (or the ones shipped in
// traces/calibration/, embedded in the binary). GPU specs come through a callback so this level
// does not depend on configs/: callers pass configs::load_gpu.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "models/hardware_spec.hpp"
#include "models/result.hpp"
#include "profiler/calibrated_cost_model.hpp"

namespace moesim::profiler {

using GpuLoader = std::function<Result<models::GpuSpec>(std::string_view)>;

// Reads `files` (empty: the embedded tables), resolves each table's provenance.gpu with
// `load_gpu` and checks its gpu_family against the catalog. Every problem is one error naming the
// file.
Result<std::vector<CalibrationSource>> load_calibration_sources(const std::vector<std::string>& files,
                                                                const GpuLoader& load_gpu);

// load_calibration_sources + CalibratedCostModel::make.
Result<CalibratedCostModel> load_calibrated_cost_model(const std::vector<std::string>& files,
                                                       const GpuLoader& load_gpu);

}  // namespace moesim::profiler
