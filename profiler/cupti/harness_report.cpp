// See harness_report.hpp.
#include "profiler/cupti/harness_report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "profiler/op_factory.hpp"

namespace moesim::profiler::cupti {
namespace {

using models::OpKind;

constexpr double kAgreementTolerance = 0.03;

std::string format_double(double value, const char* format) {
  char text[64];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

}  // namespace

std::map<std::string, int64_t> calibration_shape_of(const CaseResult& c) {
  if (c.family == "copy") return {};  // bytes moved, not elements of an elementwise op
  return shape_params_of(c.op);
}

std::map<std::string, std::string> calibration_tags(const CaseResult& c) {
  std::map<std::string, std::string> tags = {{"dtype", std::string(models::to_string(c.op.dtype))}};
  const std::map<std::string, int64_t> shape = calibration_shape_of(c);
  if (!shape.empty()) tags["op_kind"] = models::op_kind_name(c.op.kind);
  for (const auto& [key, value] : shape) tags[key] = std::to_string(value);
  return tags;
}

HarnessSummary summarize(const HarnessResult& result) {
  HarnessSummary s;
  for (const CaseResult& c : result.cases) {
    ++s.cases;
    if (c.status == "check_failed") ++s.check_failed;
    if (c.status == "unsupported") ++s.unsupported;
    if (c.status == "skipped_memory") ++s.skipped;
    if (c.status != "ok") continue;
    ++s.ok;
    if (c.agreement <= kAgreementTolerance) ++s.within_3_percent;
    if (c.cupti_busy_ns <= 0) continue;
    const double seconds = c.cupti_busy_ns * 1e-9;
    const bool gemm = c.op.kind == OpKind::kGemm || c.op.kind == OpKind::kGroupedGemm;
    if (gemm && c.op.dtype == models::DType::kBf16)
      s.bf16_gemm_peak_flops = std::max(s.bf16_gemm_peak_flops, c.op.flops / seconds);
    if (gemm && c.op.dtype == models::DType::kFp8)
      s.fp8_gemm_peak_flops = std::max(s.fp8_gemm_peak_flops, c.op.flops / seconds);
    if (c.family == "copy") {
      s.copy_peak_bytes_per_s = std::max(s.copy_peak_bytes_per_s, (c.op.bytes_read + c.op.bytes_written) / seconds);
    }
  }
  s.agreement_fraction = s.ok > 0 ? static_cast<double>(s.within_3_percent) / s.ok : 0;
  return s;
}

traces::CalibrationTable to_calibration_table(const HarnessResult& result, const std::string& gpu) {
  traces::CalibrationTable table;
  const DeviceInfo& d = result.device;
  traces::CalibrationProvenance& p = table.provenance;
  p.gpu = gpu.empty() ? catalog_gpu_name(d.name) : gpu;
  p.gpu_name = d.name;
  p.gpu_family = gpu_family_of(d.compute_major, d.compute_minor);
  p.sm_count = d.sm_count;
  p.sm_clock_mhz = d.sm_clock_now_mhz > 0 ? d.sm_clock_now_mhz : d.sm_clock_khz / 1000.0;
  p.memory_clock_mhz = d.memory_clock_khz / 1000.0;
  p.driver = d.driver_release.empty() ? "unknown" : d.driver_release;
  p.cuda = cuda_version_string(d.runtime_version);
  p.tool = "moesim profile";
  p.tool_version = result.provenance.count("tool_version") ? result.provenance.at("tool_version") : "";
  p.date = result.provenance.count("date") ? result.provenance.at("date") : utc_timestamp();
  const HarnessSummary s = summarize(result);
  p.notes = "CUPTI kernel busy time per op (median of " + std::to_string(result.repetitions) +
            " repetitions); CUDA-event agreement within 3 % on " + std::to_string(s.within_3_percent) + "/" +
            std::to_string(s.ok) + " cases; measured ceilings: bf16 GEMM " +
            format_double(s.bf16_gemm_peak_flops / 1e12, "%.0f") + " TFLOP/s, fp8 GEMM " +
            format_double(s.fp8_gemm_peak_flops / 1e12, "%.0f") + " TFLOP/s, d2d copy " +
            format_double(s.copy_peak_bytes_per_s / 1e12, "%.2f") +
            " TB/s (read + write); attention composed from cuBLAS GEMMs + softmax (an upper bound on fused kernels)";
  for (const CaseResult& c : result.cases) {
    std::map<std::string, int64_t> shape = calibration_shape_of(c);
    if (c.status != "ok" || shape.empty() || c.cupti_busy_ns <= 0) continue;
    traces::CalibrationEntry e;
    e.op = c.op.kind;
    e.dtype = c.op.dtype;
    e.shape = std::move(shape);
    e.median_us = c.cupti_busy_ns / 1e3;
    e.spread_us = c.cupti_spread_ns / 1e3;
    e.repetitions = result.repetitions;
    e.kernel = c.dominant_kernel;
    table.entries.push_back(std::move(e));
  }
  return table;
}

std::string harness_report_json(const HarnessResult& result) {
  using nlohmann::json;
  const HarnessSummary s = summarize(result);
  json cases = json::array();
  for (const CaseResult& c : result.cases) {
    cases.push_back({{"family", c.family},
                     {"op", c.op.name},
                     {"kind", models::op_kind_name(c.op.kind)},
                     {"dtype", std::string(models::to_string(c.op.dtype))},
                     {"tags", c.tags},
                     {"status", c.status},
                     {"detail", c.detail},
                     {"max_rel_error", c.max_rel_error},
                     {"error_bound", c.error_bound},
                     {"kernels_per_launch", c.kernels_per_launch},
                     {"launches_per_rep", c.launches_per_rep},
                     {"cupti_busy_us", c.cupti_busy_ns / 1e3},
                     {"cupti_span_us", c.cupti_span_ns / 1e3},
                     {"event_us", c.event_ns / 1e3},
                     {"agreement", c.agreement},
                     {"flops", c.op.flops},
                     {"bytes", c.op.bytes_read + c.op.bytes_written},
                     {"kernel", c.dominant_kernel}});
  }
  json doc = {{"schema_version", 1},
              {"provenance", result.provenance},
              {"repetitions", result.repetitions},
              {"summary",
               {{"cases", s.cases}, {"ok", s.ok}, {"check_failed", s.check_failed}, {"unsupported", s.unsupported},
                {"skipped_memory", s.skipped}, {"within_3_percent", s.within_3_percent},
                {"agreement_fraction", s.agreement_fraction}, {"bf16_gemm_peak_flops", s.bf16_gemm_peak_flops},
                {"fp8_gemm_peak_flops", s.fp8_gemm_peak_flops}, {"copy_peak_bytes_per_s", s.copy_peak_bytes_per_s}}},
              {"capture",
               {{"buffers", result.stats.buffers}, {"kernels", result.stats.kernels}, {"memcpys", result.stats.memcpys},
                {"memsets", result.stats.memsets}, {"dropped_records", result.stats.dropped_records},
                {"corrupt_buffers", result.stats.corrupt_buffers}}},
              {"cases", std::move(cases)}};
  return doc.dump(1) + "\n";
}

}  // namespace moesim::profiler::cupti
