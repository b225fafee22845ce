// What `moesim trace summarize` reports about a Chrome trace: kernel counts, per-stream busy time
// (union of kernel intervals), compute/communication overlap, time per op class and per
// user_annotation name. Built incrementally so the trace is streamed, never held.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/result.hpp"
#include "traces/chrome_trace_reader.hpp"
#include "traces/kernel_record.hpp"
#include "traces/op_class.hpp"

namespace moesim::traces {

using Interval = std::pair<int64_t, int64_t>;  // [start_ns, end_ns)

// Total length of the union of intervals. Sorts `intervals` in place.
int64_t union_length_ns(std::vector<Interval>* intervals);
// Sorted, disjoint union of intervals. Sorts `intervals` in place.
std::vector<Interval> merge_intervals(std::vector<Interval>* intervals);
// Length of the intersection of two sorted, disjoint interval lists.
int64_t intersection_length_ns(const std::vector<Interval>& a, const std::vector<Interval>& b);

struct StreamSummary {
  int device = 0;
  int64_t stream = 0;
  int64_t kernels = 0;
  int64_t busy_ns = 0;        // union of this stream's kernel intervals
};

struct OpClassSummary {
  OpClass op_class = OpClass::kOther;
  int64_t count = 0;
  int64_t total_ns = 0;       // sum of durations (not a union)
};

struct AnnotationSummary {
  std::string name;
  int64_t count = 0;
  int64_t total_ns = 0;
};

struct TraceSummary {
  std::string source;
  int64_t kernels = 0;
  int64_t memcpys = 0;
  int64_t memsets = 0;
  int64_t cpu_ops = 0;
  int64_t span_ns = 0;               // first kernel start to last kernel end
  std::vector<StreamSummary> streams;               // sorted by (device, stream)
  // Per device: |union(compute kernels) ∩ union(communication kernels)|, summed over devices.
  // Communication = is_communication(op class); memcpy/memset count as neither.
  int64_t compute_busy_ns = 0;
  int64_t comm_busy_ns = 0;
  int64_t compute_comm_overlap_ns = 0;
  std::vector<OpClassSummary> op_classes;           // classes that occur, by total time descending
  std::vector<AnnotationSummary> annotations;       // by total time descending, then name
  std::vector<TraceDeviceRecord> devices;
};

// Accumulates activities and annotations, then produces the summary.
class TraceSummaryBuilder {
 public:
  void add_activity(const KernelRecord& record);
  void add_annotation(const AnnotationRecord& annotation);
  TraceSummary finish(const ChromeTraceInfo& info, std::string source);

 private:
  struct StreamState {
    int64_t kernels = 0;
    std::vector<Interval> intervals;
  };
  std::vector<std::pair<std::pair<int, int64_t>, StreamState>> streams_;  // small; linear lookup
  std::vector<std::pair<int, std::vector<Interval>>> compute_, comm_;    // per device
  std::vector<OpClassSummary> classes_;
  std::vector<AnnotationSummary> annotations_;
  std::unordered_map<std::string, size_t> annotation_index_;
  size_t last_stream_ = 0;  // index of the stream hit last: kernels come in runs per stream
  int64_t first_ns_ = INT64_MAX, last_ns_ = INT64_MIN;
};

// Streams `path` through the reader into a summary.
Result<TraceSummary> summarize_chrome_trace(const std::string& path);

}  // namespace moesim::traces
