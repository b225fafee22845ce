// One GPU activity (kernel, memcpy, memset) as captured by CUPTI or imported from a Kineto trace.
// The common currency between the profiler, the trace importer and the calibration fitter.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace moesim::traces {

enum class ActivityKind { kKernel, kMemcpy, kMemset };

struct KernelRecord {
  ActivityKind kind = ActivityKind::kKernel;
  std::string name;            // demangled kernel name where known
  int64_t start_ns = 0;        // GPU timestamp
  int64_t end_ns = 0;
  int device = 0;
  int64_t stream = 0;
  int64_t correlation_id = 0;  // joins to the API call that launched it
  int grid[3] = {0, 0, 0};
  int block[3] = {0, 0, 0};
  int64_t bytes = 0;           // memcpy/memset only
  // Tags attached by whoever launched it (op, shape, layer ...), e.g. from CUPTI external
  // correlation or a user_annotation range.
  std::map<std::string, std::string> tags;

  int64_t duration_ns() const { return end_ns - start_ns; }
};

// A set of records plus where they came from.
struct KernelRecordSet {
  std::string source;           // file, tool or harness that produced them
  std::map<std::string, std::string> provenance;  // gpu, driver, cuda, date, tool version ...
  std::vector<KernelRecord> records;
};

}  // namespace moesim::traces
