// Live CUPTI Activity capture in this process: hands 8-byte aligned buffers to CUPTI, enables the
// chosen activity kinds, tags launches with external correlation ids, and drains everything with a
// forced flush. Any CUPTI failure is "profiling unavailable" (ErrorKind::kNoDevice), never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/result.hpp"
#include "profiler/cupti/activity_collector.hpp"
#include "profiler/cupti/correlation_registry.hpp"
#include "traces/kernel_record.hpp"

namespace moesim::profiler::cupti {

// Which activity kinds to record. Kernels are always CONCURRENT_KERNEL (plain KERNEL serialises).
// Runtime/driver API records and external correlation are always on: the tags need them.
struct CaptureSpec {
  bool kernels = true;
  bool memcpy = true;
  bool memset = true;
  size_t buffer_bytes = size_t{8} << 20;  // per CUPTI buffer; a multiple of 8
};

// Parses a comma-separated list of "kernel", "memcpy", "memset" (or "all"); `origin` names the
// source (flag or environment variable) in the error message.
Result<CaptureSpec> parse_capture_kinds(const std::string& list, const std::string& origin);

// One capture. CUPTI's activity API is process-wide and its buffer callbacks carry no user pointer,
// so at most one session may be live at a time (start() refuses a second).
class CuptiSession {
 public:
  static Result<std::unique_ptr<CuptiSession>> start(const CaptureSpec& spec);
  ~CuptiSession();  // disables the kinds, flushes and detaches the collector
  CuptiSession(const CuptiSession&) = delete;
  CuptiSession& operator=(const CuptiSession&) = delete;

  CorrelationRegistry& registry() { return registry_; }

  // Every launch between push and pop is tagged with `id` (CUSTOM0 external correlation).
  Status push_range(uint64_t id);
  Status pop_range();

  // Hands every pending buffer to the collector. REQUIRES: the GPU work was synchronized.
  Status flush();
  // Flushes, then returns the records joined with the registry's tags.
  Result<std::vector<traces::KernelRecord>> take_records();
  ActivityStats stats() const { return collector_.stats(); }

 private:
  CuptiSession() = default;
  std::vector<int> enabled_kinds_;
  ActivityCollector collector_;
  CorrelationRegistry registry_;
};

// "cuptiX returned N (CUPTI_ERROR_...)" for error messages.
std::string describe_cupti_result(const char* call, int result);

}  // namespace moesim::profiler::cupti
