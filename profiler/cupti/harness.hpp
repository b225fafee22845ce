// The harness of real kernels at DeepSeek-V3 shapes: MLA prefill attention (MHA form), MLA decode
// (absorbed form), MoE expert FFN as grouped GEMMs (BF16 and block-scaled FP8), the MLA and dense
// projection GEMMs, router top-k, RMSNorm, casts and copies. Every case is checked against an fp64
// reference on fresh random inputs before it is timed; times are CUPTI kernel durations, cross-checked
// against CUDA events.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/op.hpp"
#include "models/result.hpp"
#include "profiler/cupti/activity_collector.hpp"
#include "profiler/cupti/device_info.hpp"
#include "traces/kernel_record.hpp"

namespace moesim::profiler::cupti {

struct HarnessSpec {
  std::vector<std::string> families;  // empty: all (see harness_families())
  bool quick = false;                 // a few sizes per family instead of the full sweep
  int repetitions = 0;                // timed launches per case; 0: 5 with quick, 20 otherwise
                                      // (the value used is written back into HarnessResult)
  int warmup = 2;
  uint64_t seed = 1;                  // inputs are uniform random from this seed
  int device = 0;
};

// One sweep point, measured.
struct CaseResult {
  std::string family;            // e.g. "moe.bf16"
  models::Op op;                 // name, kind, shape, dtype, flops and bytes of what was timed
  std::map<std::string, std::string> tags;  // shape and variant tags also put on its kernel records
  std::string status;            // "ok", "check_failed", "unsupported", "skipped_memory"
  std::string detail;            // why, when status is not "ok"
  double max_rel_error = 0;      // vs the fp64 reference, normalised by the largest reference value
  double error_bound = 0;
  // Times are per launch of the op: a repetition runs `launches_per_rep` launches back to back
  // (enough for ~200 us) and its times are divided by that count.
  int launches_per_rep = 1;
  int kernels_per_launch = 0;    // activities CUPTI saw per launch (kernels + memcpy/memset)
  double cupti_span_ns = 0;      // median over repetitions: first activity start .. last end
  double cupti_busy_ns = 0;      // median over repetitions: sum of activity durations
  double cupti_spread_ns = 0;    // half the 10th..90th percentile range of the busy times
  std::string dominant_kernel;   // the activity with the most busy time (demangled)
  double event_ns = 0;           // median over repetitions: CUDA events around the launches
  double agreement = 0;          // |cupti_span - event| / event
};

struct HarnessResult {
  DeviceInfo device;
  std::map<std::string, std::string> provenance;
  std::vector<CaseResult> cases;
  int repetitions = 0;
  ActivityStats stats;                       // summed over the run; dropped_records must be 0
  std::vector<traces::KernelRecord> records; // the first launch of every timed repetition, tagged
};

// Family names with a one-line description each.
const std::vector<std::pair<std::string, std::string>>& harness_families();

// Checks that every name is a known family; one error per unknown name.
Status validate_families(const std::vector<std::string>& families);

// Runs the sweep on device spec.device. NoDevice when there is no GPU or CUPTI is unavailable.
Result<HarnessResult> run_harness(const HarnessSpec& spec);

// True when this build contains the harness kernels (nvcc was found at configure time).
bool harness_kernels_built();

}  // namespace moesim::profiler::cupti
