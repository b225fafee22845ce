#include "traces/trace_summary.hpp"

#include <algorithm>
#include <map>

namespace moesim::traces {

namespace {

std::vector<Interval>& per_device(std::vector<std::pair<int, std::vector<Interval>>>* lists, int device) {
  for (auto& [d, list] : *lists) {
    if (d == device) return list;
  }
  lists->emplace_back(device, std::vector<Interval>{});
  return lists->back().second;
}

}  // namespace

std::vector<Interval> merge_intervals(std::vector<Interval>* intervals) {
  std::sort(intervals->begin(), intervals->end());
  std::vector<Interval> merged;
  for (const Interval& iv : *intervals) {
    if (iv.second <= iv.first) continue;  // zero-length kernels add no busy time
    if (!merged.empty() && iv.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, iv.second);
    } else {
      merged.push_back(iv);
    }
  }
  return merged;
}

int64_t union_length_ns(std::vector<Interval>* intervals) {
  int64_t total = 0;
  for (const Interval& iv : merge_intervals(intervals)) total += iv.second - iv.first;
  return total;
}

int64_t intersection_length_ns(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  int64_t total = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const int64_t lo = std::max(a[i].first, b[j].first);
    const int64_t hi = std::min(a[i].second, b[j].second);
    if (hi > lo) total += hi - lo;
    if (a[i].second < b[j].second) ++i;
    else ++j;
  }
  return total;
}

void TraceSummaryBuilder::add_activity(const KernelRecord& r) {
  const OpClass c = classify_kernel(r.name, r.kind);
  auto cls = std::find_if(classes_.begin(), classes_.end(), [c](const OpClassSummary& s) { return s.op_class == c; });
  if (cls == classes_.end()) {
    classes_.push_back({c, 0, 0});
    cls = classes_.end() - 1;
  }
  ++cls->count;
  cls->total_ns += r.duration_ns();
  if (r.kind != ActivityKind::kKernel) return;

  const std::pair<int, int64_t> key{r.device, r.stream};
  if (last_stream_ >= streams_.size() || streams_[last_stream_].first != key) {
    auto it = std::find_if(streams_.begin(), streams_.end(), [&](const auto& s) { return s.first == key; });
    if (it == streams_.end()) {
      streams_.emplace_back(key, StreamState{});
      it = streams_.end() - 1;
    }
    last_stream_ = static_cast<size_t>(it - streams_.begin());
  }
  StreamState& stream = streams_[last_stream_].second;
  ++stream.kernels;
  stream.intervals.emplace_back(r.start_ns, r.end_ns);
  per_device(is_communication(c) ? &comm_ : &compute_, r.device).emplace_back(r.start_ns, r.end_ns);
  first_ns_ = std::min(first_ns_, r.start_ns);
  last_ns_ = std::max(last_ns_, r.end_ns);
}

void TraceSummaryBuilder::add_annotation(const AnnotationRecord& a) {
  auto [slot, inserted] = annotation_index_.try_emplace(a.name, annotations_.size());
  if (inserted) annotations_.push_back({a.name, 0, 0});
  AnnotationSummary& s = annotations_[slot->second];
  ++s.count;
  s.total_ns += a.duration_ns();
}

TraceSummary TraceSummaryBuilder::finish(const ChromeTraceInfo& info, std::string source) {
  TraceSummary s;
  s.source = std::move(source);
  s.kernels = info.kernels;
  s.memcpys = info.memcpys;
  s.memsets = info.memsets;
  s.cpu_ops = info.cpu_ops;
  s.devices = info.devices;
  s.span_ns = last_ns_ > first_ns_ ? last_ns_ - first_ns_ : 0;
  std::sort(streams_.begin(), streams_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [key, state] : streams_) {
    s.streams.push_back({key.first, key.second, state.kernels, union_length_ns(&state.intervals)});
  }
  for (auto& [device, compute] : compute_) {
    std::vector<Interval> merged_compute = merge_intervals(&compute);
    for (const Interval& iv : merged_compute) s.compute_busy_ns += iv.second - iv.first;
    for (auto& [comm_device, comm] : comm_) {
      if (comm_device != device) continue;
      s.compute_comm_overlap_ns += intersection_length_ns(merged_compute, merge_intervals(&comm));
    }
  }
  for (auto& [device, comm] : comm_) s.comm_busy_ns += union_length_ns(&comm);
  s.op_classes = classes_;
  std::sort(s.op_classes.begin(), s.op_classes.end(), [](const OpClassSummary& a, const OpClassSummary& b) {
    return a.total_ns != b.total_ns ? a.total_ns > b.total_ns : a.op_class < b.op_class;
  });
  s.annotations = annotations_;
  std::sort(s.annotations.begin(), s.annotations.end(), [](const AnnotationSummary& a, const AnnotationSummary& b) {
    return a.total_ns != b.total_ns ? a.total_ns > b.total_ns : a.name < b.name;
  });
  return s;
}

Result<TraceSummary> summarize_chrome_trace(const std::string& path) {
  TraceSummaryBuilder builder;
  ChromeTraceCallbacks cb;
  cb.on_activity = [&](KernelRecord&& r) { builder.add_activity(r); };
  cb.on_annotation = [&](AnnotationRecord&& a) { builder.add_annotation(a); };
  Result<ChromeTraceInfo> info = read_chrome_trace(path, cb);
  if (!info.ok()) return info.errors();
  return builder.finish(info.value(), path);
}

}  // namespace moesim::traces
