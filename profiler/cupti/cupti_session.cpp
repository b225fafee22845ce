// See cupti_session.hpp.
#include "profiler/cupti/cupti_session.hpp"

#include <cupti.h>

#include <atomic>
#include <cstdlib>
#include <sstream>

namespace moesim::profiler::cupti {
namespace {

// The live session's collector and buffer size, for CUPTI's plain-function callbacks.
std::atomic<ActivityCollector*> g_collector{nullptr};
std::atomic<size_t> g_buffer_bytes{size_t{8} << 20};

void CUPTIAPI on_buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  const size_t bytes = g_buffer_bytes.load();
  // CUPTI requires 8-byte alignment; aligned_alloc needs size to be a multiple of it (it is).
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(8, bytes));
  *size = *buffer == nullptr ? 0 : bytes;  // size 0: CUPTI drops records and counts them
  *max_records = 0;                        // as many as fit
}

void CUPTIAPI on_buffer_completed(CUcontext context, uint32_t stream_id, uint8_t* buffer, size_t,
                                  size_t valid_bytes) {
  if (ActivityCollector* collector = g_collector.load()) {
    collector->add_buffer(buffer, valid_bytes);
    size_t dropped = 0;
    if (cuptiActivityGetNumDroppedRecords(context, stream_id, &dropped) == CUPTI_SUCCESS && dropped) {
      collector->add_dropped(dropped);
    }
  }
  std::free(buffer);
}

Error unavailable(const char* call, CUptiResult result) {
  return Error{ErrorKind::kNoDevice, "profiling unavailable: " + describe_cupti_result(call, result)};
}

}  // namespace

std::string describe_cupti_result(const char* call, int result) {
  const char* text = nullptr;
  if (cuptiGetResultString(static_cast<CUptiResult>(result), &text) != CUPTI_SUCCESS || !text) {
    text = "unknown";
  }
  std::ostringstream out;
  out << call << " returned " << result << " (" << text << ")";
  return out.str();
}

Result<CaptureSpec> parse_capture_kinds(const std::string& list, const std::string& origin) {
  CaptureSpec spec;
  spec.kernels = spec.memcpy = spec.memset = false;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "kernel") spec.kernels = true;
    else if (item == "memcpy") spec.memcpy = true;
    else if (item == "memset") spec.memset = true;
    else if (item == "all") spec.kernels = spec.memcpy = spec.memset = true;
    else if (!item.empty()) {
      return bad_input(origin + ": unknown activity kind '" + item +
                       "' (expected a comma-separated list of kernel, memcpy, memset, all)");
    }
  }
  if (!spec.kernels && !spec.memcpy && !spec.memset) {
    return bad_input(origin + ": '" + list + "' names no activity kind (expected kernel, memcpy, memset or all)");
  }
  return spec;
}

Result<std::unique_ptr<CuptiSession>> CuptiSession::start(const CaptureSpec& spec) {
  if (spec.buffer_bytes == 0 || spec.buffer_bytes % 8 != 0) {
    return bad_input("CUPTI buffer size " + std::to_string(spec.buffer_bytes) +
                     " B: expected a positive multiple of 8");
  }
  std::unique_ptr<CuptiSession> session(new CuptiSession());
  ActivityCollector* expected = nullptr;
  if (!g_collector.compare_exchange_strong(expected, &session->collector_)) {
    return Error{ErrorKind::kInternal, "a CUPTI session is already running in this process"};
  }
  g_buffer_bytes = spec.buffer_bytes;
  CUptiResult r = cuptiActivityRegisterCallbacks(on_buffer_requested, on_buffer_completed);
  if (r != CUPTI_SUCCESS) {
    g_collector = nullptr;
    return unavailable("cuptiActivityRegisterCallbacks", r);
  }
  // CUPTI writes an external-correlation record only next to an API record (cupti_activity.h,
  // cuptiActivityPushExternalCorrelationId), so the runtime and driver API kinds must be on for
  // launches to be tagged: cuBLAS launches through the driver API. The collector counts and skips them.
  std::vector<CUpti_ActivityKind> kinds = {CUPTI_ACTIVITY_KIND_RUNTIME, CUPTI_ACTIVITY_KIND_DRIVER,
                                           CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION};
  if (spec.kernels) kinds.push_back(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
  if (spec.memcpy) kinds.push_back(CUPTI_ACTIVITY_KIND_MEMCPY);
  if (spec.memset) kinds.push_back(CUPTI_ACTIVITY_KIND_MEMSET);
  for (CUpti_ActivityKind kind : kinds) {
    r = cuptiActivityEnable(kind);
    // The destructor disables what was enabled so far and detaches the collector.
    if (r != CUPTI_SUCCESS) return unavailable("cuptiActivityEnable", r);
    session->enabled_kinds_.push_back(static_cast<int>(kind));
  }
  return session;
}

CuptiSession::~CuptiSession() {
  for (int kind : enabled_kinds_) cuptiActivityDisable(static_cast<CUpti_ActivityKind>(kind));
  if (!enabled_kinds_.empty()) cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
  ActivityCollector* mine = &collector_;
  g_collector.compare_exchange_strong(mine, nullptr);
}

Status CuptiSession::push_range(uint64_t id) {
  CUptiResult r = cuptiActivityPushExternalCorrelationId(CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0, id);
  if (r != CUPTI_SUCCESS) return unavailable("cuptiActivityPushExternalCorrelationId", r);
  return {};
}

Status CuptiSession::pop_range() {
  uint64_t last = 0;
  CUptiResult r = cuptiActivityPopExternalCorrelationId(CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0, &last);
  if (r != CUPTI_SUCCESS) return unavailable("cuptiActivityPopExternalCorrelationId", r);
  return {};
}

Status CuptiSession::flush() {
  CUptiResult r = cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
  if (r != CUPTI_SUCCESS) return unavailable("cuptiActivityFlushAll", r);
  return {};
}

Result<std::vector<traces::KernelRecord>> CuptiSession::take_records() {
  Status flushed = flush();
  if (!flushed.ok()) return flushed.errors();
  return collector_.take_records(registry_);
}

}  // namespace moesim::profiler::cupti
