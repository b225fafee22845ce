#include "profiler/calibration_loader.hpp"

#include "traces/calibration_table.hpp"

namespace moesim::profiler {

Result<std::vector<CalibrationSource>> load_calibration_sources(const std::vector<std::string>& files,
                                                                const GpuLoader& load_gpu) {
  std::vector<traces::CalibrationTable> tables;
  std::vector<std::string> origins;
  if (files.empty()) {
    auto embedded = traces::embedded_calibration_tables();
    if (!embedded.ok()) return embedded.errors();
    tables = embedded.value();
    origins.assign(tables.size(), "traces/calibration (embedded)");
  }
  for (const std::string& f : files) {
    auto t = traces::read_calibration(f);
    if (!t.ok()) return t.errors();
    tables.push_back(t.value());
    origins.push_back(f);
  }
  std::vector<CalibrationSource> sources;
  std::vector<Error> errors;
  for (size_t i = 0; i < tables.size(); ++i) {
    const traces::CalibrationProvenance& p = tables[i].provenance;
    Result<models::GpuSpec> gpu = load_gpu(p.gpu);
    if (!gpu.ok()) {
      errors.push_back(bad_input(origins[i] + ": provenance.gpu: \"" + p.gpu + "\" is not a catalog GPU (" +
                                 gpu.errors()[0].message + ")"));
      continue;
    }
    if (gpu.value().family != p.gpu_family) {
      errors.push_back(bad_input(origins[i] + ": provenance.gpu_family: found \"" + p.gpu_family +
                                 "\", expected \"" + gpu.value().family + "\" (the catalog family of " + p.gpu + ")"));
      continue;
    }
    sources.push_back({tables[i], gpu.value(), origins[i]});
  }
  if (!errors.empty()) return errors;
  return sources;
}

Result<CalibratedCostModel> load_calibrated_cost_model(const std::vector<std::string>& files,
                                                       const GpuLoader& load_gpu) {
  auto sources = load_calibration_sources(files, load_gpu);
  if (!sources.ok()) return sources.errors();
  return CalibratedCostModel::make(sources.value());
}

}  // namespace moesim::profiler
