#include "cli/cost_model_factory.hpp"

#include "configs/catalog.hpp"
#include "models/hash.hpp"
#include "profiler/calibration_loader.hpp"
#include "traces/calibration_table.hpp"

namespace moesim::cli {

namespace {

constexpr const char* kRoofline = "roofline (uncalibrated default efficiencies)";

// Calibrated predictions where a table (of this GPU or, scaled, of its family) covers the op; the
// plain roofline elsewhere, so adding a table changes only the ops it measured.
class CalibratedOverRoofline : public models::CostModel {
 public:
  explicit CalibratedOverRoofline(profiler::CalibratedCostModel calibrated) : calibrated_(std::move(calibrated)) {}
  models::CostEstimate op_time(const models::Op& op, const models::GpuSpec& gpu) const override {
    const profiler::CostPrediction p = calibrated_.predict(op, gpu);
    return p.estimate.calibrated ? p.estimate : roofline_.op_time(op, gpu);
  }

 private:
  profiler::CalibratedCostModel calibrated_;
  models::RooflineCostModel roofline_;
};

}  // namespace

Result<CostModelChoice> make_cost_model(const std::vector<std::string>& calibration_files) {
  auto sources = profiler::load_calibration_sources(calibration_files, configs::load_gpu);
  if (!sources.ok()) return sources.errors();
  CostModelChoice c;
  if (sources.value().empty()) {
    c.model = std::make_shared<models::RooflineCostModel>();
    c.description = kRoofline;
    return c;
  }
  auto calibrated = profiler::CalibratedCostModel::make(sources.value());
  if (!calibrated.ok()) return calibrated.errors();
  c.model = std::make_shared<CalibratedOverRoofline>(std::move(calibrated).value());
  const size_t n = sources.value().size();
  c.description = "calibrated (" + std::to_string(n) + (n == 1 ? " table: " : " tables: ");
  std::string tables;
  for (size_t i = 0; i < n; ++i) {
    const profiler::CalibrationSource& s = sources.value()[i];
    c.description += (i > 0 ? ", " : "") + s.origin + " (" + s.table.provenance.gpu + ")";
    tables += traces::calibration_to_json(s.table);
  }
  c.description += "; uncalibrated roofline elsewhere)";
  c.fingerprint = fnv1a_hex(tables);
  return c;
}

void add_calibration_option(CLI::App* sub, std::vector<std::string>* files) {
  sub->add_option("--calibration", *files,
                  "Kernel calibration JSON file (repeatable; default: the tables embedded from traces/calibration, "
                  "none yet, i.e. the roofline)")
      ->type_name("FILE")
      ->allow_extra_args(false);
}

}  // namespace moesim::cli
