// KernelRecords as a Chrome trace (the JSON the PyTorch profiler/Kineto writes: "X" events with
// cat kernel / gpu_memcpy / gpu_memset, ts and dur in microseconds, pid = device, tid = stream), so
// the same file opens in Perfetto and goes through `moesim trace import`.
#pragma once

#include <string>

#include "models/result.hpp"
#include "traces/kernel_record.hpp"

namespace moesim::profiler::cupti {

inline constexpr int kChromeTraceSchemaVersion = 1;

// The whole set as one JSON document; provenance goes under "moesim".
std::string to_chrome_trace(const traces::KernelRecordSet& set);

// Reads back what to_chrome_trace wrote (and Kineto's GPU events). `origin` names the input in
// error messages. Events of other categories (CPU ops, flows) are skipped.
Result<traces::KernelRecordSet> parse_chrome_trace(const std::string& text, const std::string& origin);

}  // namespace moesim::profiler::cupti
