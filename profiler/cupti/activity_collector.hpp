// Turns CUPTI activity buffers into moesim KernelRecords. Separate from live CUPTI (cupti_session)
// so that it runs, and is tested, on hand-built buffers on machines without a GPU.
//
// Records arrive in any order and in several buffers (an external-correlation record may come after
// the kernel it names), so the join on correlationId happens once, in take_records().
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "profiler/cupti/correlation_registry.hpp"
#include "traces/kernel_record.hpp"

namespace moesim::profiler::cupti {

// What the collector saw. dropped_records > 0 means CUPTI ran out of buffer space and the capture
// is incomplete: callers must report it, never ignore it.
struct ActivityStats {
  int64_t buffers = 0;
  int64_t kernels = 0;
  int64_t memcpys = 0;
  int64_t memsets = 0;
  int64_t external_correlations = 0;
  int64_t other_records = 0;     // kinds we do not convert (runtime API, markers ...)
  int64_t dropped_records = 0;   // reported by cuptiActivityGetNumDroppedRecords
  int64_t corrupt_buffers = 0;   // a buffer walk ended in an error other than "end of buffer"
  int64_t untagged_records = 0;  // set by take_records: activities with no external id
};

// Thread-safe: CUPTI calls the buffer-completed callback on its own thread.
class ActivityCollector {
 public:
  // Parses every record in the first `valid_bytes` of `buffer` (an 8-byte aligned CUPTI buffer).
  void add_buffer(const uint8_t* buffer, size_t valid_bytes);
  void add_dropped(size_t count);

  // Joins the collected activities with their external ids and the registry's tags, and moves them
  // out sorted by start time. Tags of ids not in `registry` appear as "external_id"=<id>.
  std::vector<traces::KernelRecord> take_records(const CorrelationRegistry& registry);
  ActivityStats stats() const;

 private:
  struct ExternalRef {
    int kind = 0;  // CUpti_ExternalCorrelationKind
    uint64_t id = 0;
  };
  void add_record(const void* record);

  mutable std::mutex mutex_;
  ActivityStats stats_;
  std::vector<traces::KernelRecord> records_;
  std::multimap<uint32_t, ExternalRef> external_by_correlation_;
};

// The kernel name CUPTI reports, demangled where it is a C++ symbol.
std::string demangle_kernel_name(const char* mangled);

}  // namespace moesim::profiler::cupti
