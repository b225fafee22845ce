// `moesim profile`: runs the real-kernel harness on this machine's GPU under CUPTI and writes a
// calibration table (traces/calibration_table.hpp) with provenance. Compiles in both builds: with
// the CUPTI target linked (MOESIM_HAVE_CUPTI defined) and without it, where it only explains why it
// cannot run. Without a GPU or driver it exits 4 with one line, before touching any output file.
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.hpp"

#ifdef MOESIM_HAVE_CUPTI
#include "profiler/cupti/chrome_trace.hpp"
#include "profiler/cupti/harness.hpp"
#include "profiler/cupti/harness_report.hpp"
#include "traces/calibration_table.hpp"
#include "traces/kernel_record_io.hpp"
#endif

namespace moesim::cli {
namespace {

struct ProfileOptions {
  std::string ops;          // comma-separated families; empty = all
  bool quick = false;
  std::string out;          // calibration table
  std::string trace;        // optional Chrome trace of every timed kernel
  std::string report;       // optional per-case report (checks, CUDA-event agreement)
  std::string records;      // optional tagged kernel records (input of `moesim calibrate`)
  std::string gpu;          // catalog name for the provenance; default from the device name
  int repetitions = 0;
  int device = 0;
  uint64_t seed = 1;
  bool json = false;
};

#ifndef MOESIM_HAVE_CUPTI

int run_profile(const ProfileOptions&) {
  return report_errors({Error{ErrorKind::kNoDevice,
                              "profiling unavailable: moesim was built without CUPTI (configure with the CUDA "
                              "toolkit found, or -DMOESIM_WITH_CUPTI=ON)"}});
}

#else

using profiler::cupti::HarnessResult;
using profiler::cupti::HarnessSummary;

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

void print_summary(const ProfileOptions& o, const HarnessResult& r, const HarnessSummary& s, size_t entries) {
  std::cout << "GPU " << r.device.name << " (" << r.device.sm_count << " SMs, driver "
            << r.provenance.at("driver") << ", CUDA " << r.provenance.at("cuda") << ")\n"
            << "cases " << s.cases << ": ok " << s.ok << ", check failed " << s.check_failed << ", unsupported "
            << s.unsupported << ", skipped (memory) " << s.skipped << "\n"
            << "CUPTI vs CUDA events within 3 %: " << s.within_3_percent << "/" << s.ok << " ("
            << format_fixed(100.0 * s.agreement_fraction, 1) << " %)\n"
            << "ceilings: bf16 GEMM " << format_fixed(s.bf16_gemm_peak_flops / 1e12, 0) << " TFLOP/s, fp8 GEMM "
            << format_fixed(s.fp8_gemm_peak_flops / 1e12, 0) << " TFLOP/s, d2d copy "
            << format_fixed(s.copy_peak_bytes_per_s / 1e12, 2) << " TB/s\n"
            << "wrote " << entries << " calibration entries to " << o.out << "\n";
  for (const auto& c : r.cases) {
    if (c.status != "ok")
      std::cout << "  " << c.status << ": " << c.family << " " << c.op.name << ": " << c.detail << "\n";
  }
}

nlohmann::json summary_json(const ProfileOptions& o, const HarnessResult& r, const HarnessSummary& s, size_t entries) {
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& c : r.cases) {
    if (c.status != "ok")
      failed.push_back({{"family", c.family}, {"op", c.op.name}, {"status", c.status}, {"detail", c.detail}});
  }
  return {{"schema_version", 1},
          {"out", o.out},
          {"provenance", r.provenance},
          {"calibration_entries", entries},
          {"summary",
           {{"cases", s.cases}, {"ok", s.ok}, {"check_failed", s.check_failed}, {"unsupported", s.unsupported},
            {"skipped_memory", s.skipped}, {"within_3_percent", s.within_3_percent},
            {"agreement_fraction", s.agreement_fraction}, {"bf16_gemm_peak_flops", s.bf16_gemm_peak_flops},
            {"fp8_gemm_peak_flops", s.fp8_gemm_peak_flops}, {"copy_peak_bytes_per_s", s.copy_peak_bytes_per_s},
            {"dropped_records", r.stats.dropped_records}}},
          {"not_ok", failed}};
}

int run_profile(const ProfileOptions& o) {
  profiler::cupti::HarnessSpec spec;
  spec.families = split_list(o.ops);
  spec.quick = o.quick;
  spec.repetitions = o.repetitions;
  spec.seed = o.seed;
  spec.device = o.device;
  if (Status v = profiler::cupti::validate_families(spec.families); !v.ok()) return report_errors(v.errors());
  Result<HarnessResult> run = profiler::cupti::run_harness(spec);
  if (!run.ok()) return report_errors(run.errors());
  const HarnessResult& r = run.value();
  const traces::CalibrationTable table = profiler::cupti::to_calibration_table(r, o.gpu);
  std::vector<std::pair<std::string, std::string>> outputs = {{o.out, traces::calibration_to_json(table)}};
  if (!o.report.empty()) outputs.emplace_back(o.report, profiler::cupti::harness_report_json(r));
  if (!o.trace.empty() || !o.records.empty()) {
    traces::KernelRecordSet set{"moesim profile", r.provenance, r.records};
    if (!o.gpu.empty()) set.provenance["gpu"] = o.gpu;
    if (!o.trace.empty()) outputs.emplace_back(o.trace, profiler::cupti::to_chrome_trace(set));
    if (!o.records.empty()) outputs.emplace_back(o.records, traces::kernel_records_to_json(set));
  }
  for (const auto& [path, text] : outputs) {
    if (Status w = write_file_atomically(path, text); !w.ok()) return report_errors(w.errors());
  }
  const HarnessSummary s = profiler::cupti::summarize(r);
  if (o.json) print_json(summary_json(o, r, s, table.entries.size()));
  else print_summary(o, r, s, table.entries.size());
  std::vector<Error> problems;
  if (r.stats.dropped_records > 0) {
    problems.push_back({ErrorKind::kInternal, std::to_string(r.stats.dropped_records) +
                                                  " CUPTI activity records were dropped: the timings are incomplete"});
  }
  if (s.check_failed > 0) {
    problems.push_back(
        {ErrorKind::kInternal,
         std::to_string(s.check_failed) + " case(s) failed their reference check and were left out of " + o.out});
  }
  return problems.empty() ? 0 : report_errors(problems);
}

#endif  // MOESIM_HAVE_CUPTI

}  // namespace

void add_profile_commands(CLI::App& app, CommandRunner& runner) {
  auto o = std::make_shared<ProfileOptions>();
  CLI::App* cmd = app.add_subcommand(
      "profile", "Measure real MLA/MoE kernels on this machine's GPU (CUPTI) and write a calibration table");
  cmd->add_option("--ops", o->ops,
                  "Comma-separated op families (default: all): gemm.bf16, gemm.fp8, moe.bf16, moe.fp8, "
                  "attention.prefill, attention.mla_decode, router, norm, cast, copy");
  cmd->add_flag("--quick", o->quick, "A few sizes per family instead of the full sweep");
  cmd->add_option("--out", o->out, "Calibration table to write (moesim.calibration JSON)")->required();
  cmd->add_option("--trace", o->trace, "Also write every timed kernel as a Chrome trace");
  cmd->add_option("--report", o->report, "Also write the per-case report (reference checks, CUDA-event agreement)");
  cmd->add_option("--records", o->records, "Also write the tagged kernel records (input of `moesim calibrate`)");
  cmd->add_option("--gpu", o->gpu, "Catalog GPU name for the table's provenance (default: from the device name)");
  cmd->add_option("--repetitions", o->repetitions, "Timed launches per case (default 20, 5 with --quick)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--device", o->device, "CUDA device ordinal")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", o->seed, "Seed of the random inputs");
  cmd->add_flag("--json", o->json, "Print one JSON document instead of a summary");
  runner.on(cmd, [o] { return run_profile(*o); });
}

}  // namespace moesim::cli
