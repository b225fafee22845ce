// What `moesim profile` writes: the harness result as a calibration table (traces/calibration_table.hpp,
// "moesim.calibration" v1) plus a summary of checks, CUDA-event agreement and measured ceilings.
#pragma once

#include <string>

#include "profiler/cupti/harness.hpp"
#include "traces/calibration_table.hpp"

namespace moesim::profiler::cupti {

// Summary over the cases that ran ("ok").
struct HarnessSummary {
  int cases = 0, ok = 0, check_failed = 0, unsupported = 0, skipped = 0;
  int within_3_percent = 0;          // ok cases whose CUPTI span is within 3 % of the CUDA events
  double agreement_fraction = 0;     // within_3_percent / ok
  double bf16_gemm_peak_flops = 0;   // best measured gemm.bf16 / moe.bf16 rate (flop/s, busy time)
  double fp8_gemm_peak_flops = 0;
  double copy_peak_bytes_per_s = 0;  // device-to-device, bytes read + written per second
};

HarnessSummary summarize(const HarnessResult& result);

// The calibration shape keys (traces::calibration_shape_keys) of the op a case measured; empty for
// op kinds that cannot be calibrated (router) and for copies.
std::map<std::string, int64_t> calibration_shape_of(const CaseResult& c);

// The tags that let `moesim calibrate` use a case's kernel records: dtype always; op_kind and the
// shape keys (as decimal strings) when calibration_shape_of is not empty.
std::map<std::string, std::string> calibration_tags(const CaseResult& c);

// One entry per "ok" case whose op kind has calibration shape keys (router and copies are reported
// in the summary and the notes, not as entries). `gpu` overrides the catalog name when non-empty.
traces::CalibrationTable to_calibration_table(const HarnessResult& result, const std::string& gpu);

// The per-case report (JSON text, schema_version 1): device, provenance, summary, cases.
std::string harness_report_json(const HarnessResult& result);

}  // namespace moesim::profiler::cupti
