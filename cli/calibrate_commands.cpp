// `moesim calibrate --records FILE... --out FILE`: kernel records tagged with op kind and shape →
// a calibration table, and the leave-one-out error of the cost model fitted on it, per op family.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/spec_json.hpp"
#include "configs/catalog.hpp"
#include "profiler/calibrated_cost_model.hpp"
#include "profiler/calibration_fit.hpp"
#include "traces/kernel_record_io.hpp"

namespace moesim::cli {

namespace {

constexpr const char* kToolVersion = "0.1.0";

struct CalibrateRequest {
  std::vector<std::string> records;
  std::string out;
  std::string gpu;  // "" = from the records' provenance
  bool json = false;
};

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string prov(const traces::KernelRecordSet& set, const std::string& key) {
  auto it = set.provenance.find(key);
  return it == set.provenance.end() ? "" : it->second;
}

// The GPU the records were measured on: --gpu, else every file's provenance.gpu (which must agree).
Result<std::string> records_gpu(const CalibrateRequest& req, const std::vector<profiler::RecordFile>& files) {
  if (!req.gpu.empty()) return req.gpu;
  std::string gpu;
  for (const auto& f : files) {
    const std::string g = prov(f.records, "gpu");
    if (g.empty()) {
      return bad_input(f.path + ": provenance.gpu is missing; pass --gpu NAME to say which GPU the records are from");
    }
    if (!gpu.empty() && g != gpu) {
      return bad_input(f.path + ": provenance.gpu is \"" + g + "\" but an earlier file says \"" + gpu +
                       "\"; calibrate one GPU at a time");
    }
    gpu = g;
  }
  return gpu;
}

traces::CalibrationProvenance make_provenance(const models::GpuSpec& gpu, const traces::KernelRecordSet& first) {
  traces::CalibrationProvenance p;
  p.gpu = gpu.name;
  p.gpu_family = gpu.family;
  p.gpu_name = prov(first, "gpu_name").empty() ? gpu.display_name : prov(first, "gpu_name");
  p.sm_count = gpu.sm_count;
  try {
    if (!prov(first, "sm_count").empty()) p.sm_count = std::stoll(prov(first, "sm_count"));
    if (!prov(first, "sm_clock_mhz").empty()) p.sm_clock_mhz = std::stod(prov(first, "sm_clock_mhz"));
    if (!prov(first, "memory_clock_mhz").empty()) p.memory_clock_mhz = std::stod(prov(first, "memory_clock_mhz"));
  } catch (const std::exception&) {
    // Non-numeric provenance values are informational; keep the catalog's.
  }
  p.driver = prov(first, "driver");
  p.cuda = prov(first, "cuda");
  p.tool = "moesim calibrate";
  p.tool_version = kToolVersion;
  // The date of the measurement when the records carry one (keeps re-runs identical), else today.
  p.date = prov(first, "date").empty() ? today_utc() : prov(first, "date");
  return p;
}

double max_of(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

int run_calibrate(const CalibrateRequest& req) {
  std::vector<profiler::RecordFile> files;
  for (const std::string& path : req.records) {
    auto set = traces::read_kernel_records(path);
    if (!set.ok()) return report_errors(set.errors());
    files.push_back({path, set.value()});
  }
  auto gpu_name = records_gpu(req, files);
  if (!gpu_name.ok()) return report_errors(gpu_name.errors());
  auto gpu = configs::load_gpu(gpu_name.value());
  if (!gpu.ok()) return report_errors(gpu.errors());
  traces::CalibrationProvenance provenance = make_provenance(gpu.value(), files.front().records);
  provenance.notes = "fitted from " + std::to_string(files.size()) + " record file(s); first from: " +
                     (files.front().records.source.empty() ? files.front().path : files.front().records.source);
  auto fit = profiler::calibration_from_records(files, provenance);
  if (!fit.ok()) return report_errors(fit.errors());
  auto model = profiler::CalibratedCostModel::make({{fit.value().table, gpu.value(), req.out}});
  if (!model.ok()) return report_errors(model.errors());
  if (Status s = write_file_atomically(req.out, traces::calibration_to_json(fit.value().table)); !s.ok()) {
    return report_errors(s.errors());
  }

  nlohmann::json families = nlohmann::json::array();
  for (const profiler::FamilyFit& f : model.value().families()) {
    families.push_back({{"op", models::op_kind_name(f.kind)}, {"dtype", std::string(models::to_string(f.dtype))},
                        {"points", f.points},
                        {"interpolation_loo_rms", profiler::rms(f.interpolation_loo)},
                        {"interpolation_loo_max", max_of(f.interpolation_loo)},
                        {"interpolation_loo_points", f.interpolation_loo.size()},
                        {"efficiency", f.curve.efficiency}, {"ramp_us", f.curve.ramp_s * 1e6},
                        {"curve_loo_rms", profiler::rms(f.curve_loo)}, {"curve_loo_max", max_of(f.curve_loo)}});
  }
  if (req.json) {
    print_json({{"schema_version", kSchemaVersion}, {"out", req.out}, {"gpu", gpu.value().name},
                {"records_used", fit.value().records_used}, {"records_skipped", fit.value().records_skipped},
                {"entries", fit.value().table.entries.size()}, {"families", families}});
    return 0;
  }
  std::printf("wrote %zu calibration entries for %s to %s (%lld records used, %lld without op tags skipped)\n\n",
              fit.value().table.entries.size(), gpu.value().name.c_str(), req.out.c_str(),
              static_cast<long long>(fit.value().records_used), static_cast<long long>(fit.value().records_skipped));
  std::printf("Leave-one-out relative error per op family (interpolation: used on this GPU; curve: used to\n"
              "scale to other GPUs of the family). '-' = too few points to leave one out.\n");
  std::printf("%-14s %-6s %6s %11s %11s %8s %9s %11s %11s\n", "OP", "DTYPE", "POINTS", "INTERP RMS", "INTERP MAX",
              "EFF", "RAMP us", "CURVE RMS", "CURVE MAX");
  auto pct = [](const nlohmann::json& j, const char* key, size_t n) {
    return n == 0 ? std::string("-") : format_fixed(j[key].get<double>() * 100, 1) + "%";
  };
  for (const auto& f : families) {
    const size_t interp_n = f["interpolation_loo_points"].get<size_t>();
    const size_t curve_n = f["points"].get<int>() >= 2 ? 1 : 0;
    std::printf("%-14s %-6s %6d %11s %11s %8.3f %9.2f %11s %11s\n", f["op"].get<std::string>().c_str(),
                f["dtype"].get<std::string>().c_str(), f["points"].get<int>(),
                pct(f, "interpolation_loo_rms", interp_n).c_str(), pct(f, "interpolation_loo_max", interp_n).c_str(),
                f["efficiency"].get<double>(), f["ramp_us"].get<double>(), pct(f, "curve_loo_rms", curve_n).c_str(),
                pct(f, "curve_loo_max", curve_n).c_str());
  }
  return 0;
}

}  // namespace

void add_calibrate_commands(CLI::App& app, CommandRunner& runner) {
  auto req = std::make_shared<CalibrateRequest>();
  CLI::App* cal = app.add_subcommand("calibrate", "Fit the cost model from tagged kernel records; print leave-one-out error");
  cal->add_option("--records", req->records, "Kernel-record JSON file(s) (moesim trace import / moesim profile)")
      ->required();
  cal->add_option("--out", req->out, "Calibration JSON to write")->required();
  cal->add_option("--gpu", req->gpu, "Catalog GPU the records were measured on (default: their provenance.gpu)");
  cal->add_flag("--json", req->json, "Print one JSON document");
  runner.on(cal, [req] { return run_calibrate(*req); });
}

}  // namespace moesim::cli
