// See activity_collector.hpp. The only file that knows CUPTI's activity record layouts (CUDA 13:
// CUpti_ActivityKernel10, CUpti_ActivityMemcpy6, CUpti_ActivityMemset4,
// CUpti_ActivityExternalCorrelation).
#include "profiler/cupti/activity_collector.hpp"

#include <cupti.h>
#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

namespace moesim::profiler::cupti {
namespace {

using traces::ActivityKind;
using traces::KernelRecord;

const char* memcpy_kind_name(uint8_t kind) {
  switch (kind) {
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOD: return "HtoD";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOH: return "DtoH";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOD: return "DtoD";
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOH: return "HtoH";
    case CUPTI_ACTIVITY_MEMCPY_KIND_PTOP: return "PtoP";
    default: return "other";
  }
}

std::string external_kind_suffix(int kind) {
  switch (kind) {
    case CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0: return "";
    case CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM1: return ".custom1";
    case CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM2: return ".custom2";
    case CUPTI_EXTERNAL_CORRELATION_KIND_OPENACC: return ".openacc";
    default: return ".kind" + std::to_string(kind);
  }
}

KernelRecord from_kernel(const CUpti_ActivityKernel10& k) {
  KernelRecord r;
  r.kind = ActivityKind::kKernel;
  r.name = demangle_kernel_name(k.name);
  r.start_ns = static_cast<int64_t>(k.start);
  r.end_ns = static_cast<int64_t>(k.end);
  r.device = static_cast<int>(k.deviceId);
  r.stream = k.streamId;
  r.correlation_id = k.correlationId;
  r.grid[0] = k.gridX, r.grid[1] = k.gridY, r.grid[2] = k.gridZ;
  r.block[0] = k.blockX, r.block[1] = k.blockY, r.block[2] = k.blockZ;
  return r;
}

KernelRecord from_memcpy(const CUpti_ActivityMemcpy6& m) {
  KernelRecord r;
  r.kind = ActivityKind::kMemcpy;
  r.name = std::string("Memcpy ") + memcpy_kind_name(m.copyKind);
  r.start_ns = static_cast<int64_t>(m.start);
  r.end_ns = static_cast<int64_t>(m.end);
  r.device = static_cast<int>(m.deviceId);
  r.stream = m.streamId;
  r.correlation_id = m.correlationId;
  r.bytes = static_cast<int64_t>(m.bytes);
  r.tags["copy_kind"] = memcpy_kind_name(m.copyKind);
  return r;
}

KernelRecord from_memset(const CUpti_ActivityMemset4& m) {
  KernelRecord r;
  r.kind = ActivityKind::kMemset;
  r.name = "Memset";
  r.start_ns = static_cast<int64_t>(m.start);
  r.end_ns = static_cast<int64_t>(m.end);
  r.device = static_cast<int>(m.deviceId);
  r.stream = m.streamId;
  r.correlation_id = m.correlationId;
  r.bytes = static_cast<int64_t>(m.bytes);
  return r;
}

}  // namespace

std::string demangle_kernel_name(const char* mangled) {
  if (mangled == nullptr) return "<unnamed>";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                             std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(mangled);
}

void ActivityCollector::add_buffer(const uint8_t* buffer, size_t valid_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++stats_.buffers;
  if (buffer == nullptr || valid_bytes == 0) return;
  // cuptiActivityGetNextRecord only reads the buffer; its signature is not const-correct.
  auto* data = const_cast<uint8_t*>(buffer);
  CUpti_Activity* record = nullptr;
  CUptiResult status;
  while ((status = cuptiActivityGetNextRecord(data, valid_bytes, &record)) == CUPTI_SUCCESS) {
    add_record(record);
  }
  if (status != CUPTI_ERROR_MAX_LIMIT_REACHED) ++stats_.corrupt_buffers;
}

// REQUIRES: mutex_ held.
void ActivityCollector::add_record(const void* record) {
  const auto* activity = static_cast<const CUpti_Activity*>(record);
  switch (activity->kind) {
    case CUPTI_ACTIVITY_KIND_KERNEL:
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
      records_.push_back(from_kernel(*static_cast<const CUpti_ActivityKernel10*>(record)));
      ++stats_.kernels;
      break;
    case CUPTI_ACTIVITY_KIND_MEMCPY:
      records_.push_back(from_memcpy(*static_cast<const CUpti_ActivityMemcpy6*>(record)));
      ++stats_.memcpys;
      break;
    case CUPTI_ACTIVITY_KIND_MEMSET:
      records_.push_back(from_memset(*static_cast<const CUpti_ActivityMemset4*>(record)));
      ++stats_.memsets;
      break;
    case CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION: {
      const auto& e = *static_cast<const CUpti_ActivityExternalCorrelation*>(record);
      external_by_correlation_.emplace(e.correlationId,
                                       ExternalRef{static_cast<int>(e.externalKind), e.externalId});
      ++stats_.external_correlations;
      break;
    }
    default:
      ++stats_.other_records;
  }
}

void ActivityCollector::add_dropped(size_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.dropped_records += static_cast<int64_t>(count);
}

std::vector<KernelRecord> ActivityCollector::take_records(const CorrelationRegistry& registry) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<KernelRecord> out = std::move(records_);
  records_.clear();
  stats_.untagged_records = 0;
  for (KernelRecord& r : out) {
    auto range = external_by_correlation_.equal_range(static_cast<uint32_t>(r.correlation_id));
    if (range.first == range.second) ++stats_.untagged_records;
    for (auto it = range.first; it != range.second; ++it) {
      const std::string key = "external_id" + external_kind_suffix(it->second.kind);
      r.tags[key] = std::to_string(it->second.id);
      if (auto tags = registry.find(it->second.id)) r.tags.insert(tags->begin(), tags->end());
    }
  }
  external_by_correlation_.clear();
  std::stable_sort(out.begin(), out.end(), [](const KernelRecord& a, const KernelRecord& b) {
    return a.start_ns < b.start_ns;
  });
  return out;
}

ActivityStats ActivityCollector::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace moesim::profiler::cupti
