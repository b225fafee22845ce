// Streaming import of Chrome-trace JSON as written by the PyTorch profiler (Kineto): GPU kernels,
// memcpy/memset, user_annotation ranges and CPU ops. The file is parsed event by event (SAX), so a
// multi-gigabyte trace never lives in memory as a JSON tree; callers keep only what they need.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "models/result.hpp"
#include "traces/kernel_record.hpp"

namespace moesim::traces {

// One `user_annotation` range (torch.profiler.record_function) on the CPU timeline.
struct AnnotationRecord {
  std::string name;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t pid = 0;
  int64_t tid = 0;
  int64_t duration_ns() const { return end_ns - start_ns; }
};

// A GPU listed in the trace's `deviceProperties` (Kineto writes one entry per visible device).
struct TraceDeviceRecord {
  int64_t id = 0;
  std::string name;         // "NVIDIA H200"
  int64_t sm_count = 0;     // numSms
  int64_t memory_bytes = 0; // totalGlobalMem
  int64_t compute_major = 0;
  int64_t compute_minor = 0;
};

// Counts of what the reader saw; everything it keeps is handed to the callbacks.
struct ChromeTraceInfo {
  int64_t events = 0;       // entries in traceEvents
  int64_t kernels = 0;
  int64_t memcpys = 0;
  int64_t memsets = 0;
  int64_t annotations = 0;
  int64_t cpu_ops = 0;
  int64_t bytes_read = 0;
  std::vector<TraceDeviceRecord> devices;
};

// What to do with each imported record. Either callback may be empty.
struct ChromeTraceCallbacks {
  std::function<void(KernelRecord&&)> on_activity;      // kernels, memcpys, memsets (trace order)
  std::function<void(AnnotationRecord&&)> on_annotation;
};

// Reads `path`. Errors (missing file, truncated or malformed JSON, a kernel event without a numeric
// `ts`/`dur` or `args.stream`, a kernel in a phase other than "X", no `traceEvents`) come back as
// one line naming the file, the event index and name, the field, the value and what was expected.
// Timestamps keep nanosecond precision: Kineto's microsecond decimals are converted exactly.
Result<ChromeTraceInfo> read_chrome_trace(const std::string& path, const ChromeTraceCallbacks& callbacks);
// Same over a stream; `display_name` is what messages call it.
Result<ChromeTraceInfo> read_chrome_trace(std::istream& in, const std::string& display_name,
                                          const ChromeTraceCallbacks& callbacks);

// Exact microseconds-decimal → nanoseconds ("12.3456" → 12346, rounded half away from zero).
// Returns false if `text` is not a JSON number.
bool parse_microseconds_as_ns(const std::string& text, int64_t* out_ns);

}  // namespace moesim::traces
