// Builds CUPTI activity buffers by hand, record by record, the way CUPTI lays them out (CUDA 13
// record structs, each at an 8-byte aligned offset), so parsing is tested without a GPU.
#pragma once

#include <cupti.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace moesim::testing {

class ActivityBufferBuilder {
 public:
  template <class Record>
  ActivityBufferBuilder& add(const Record& record) {
    const size_t at = bytes_.size();
    bytes_.resize(at + (sizeof(Record) + 7) / 8 * 8, 0);
    std::memcpy(bytes_.data() + at, &record, sizeof(Record));
    return *this;
  }
  // An 8-byte aligned copy (std::vector<uint64_t> storage) and its valid size.
  const uint8_t* data() {
    aligned_.assign((bytes_.size() + 7) / 8, 0);
    std::memcpy(aligned_.data(), bytes_.data(), bytes_.size());
    return reinterpret_cast<const uint8_t*>(aligned_.data());
  }
  size_t size() const { return bytes_.size(); }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<uint64_t> aligned_;
};

inline CUpti_ActivityKernel10 kernel_record(const char* name, uint64_t start, uint64_t end, uint32_t correlation) {
  CUpti_ActivityKernel10 k{};
  k.kind = CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL;
  k.name = name;
  k.start = start;
  k.end = end;
  k.correlationId = correlation;
  k.deviceId = 0;
  k.streamId = 7;
  k.gridX = 132, k.gridY = 2, k.gridZ = 1;
  k.blockX = 256, k.blockY = 1, k.blockZ = 1;
  return k;
}

inline CUpti_ActivityMemcpy6 memcpy_record(uint64_t bytes, uint64_t start, uint64_t end, uint32_t correlation) {
  CUpti_ActivityMemcpy6 m{};
  m.kind = CUPTI_ACTIVITY_KIND_MEMCPY;
  m.copyKind = CUPTI_ACTIVITY_MEMCPY_KIND_DTOD;
  m.bytes = bytes;
  m.start = start;
  m.end = end;
  m.correlationId = correlation;
  m.streamId = 7;
  return m;
}

inline CUpti_ActivityMemset4 memset_record(uint64_t bytes, uint64_t start, uint64_t end, uint32_t correlation) {
  CUpti_ActivityMemset4 m{};
  m.kind = CUPTI_ACTIVITY_KIND_MEMSET;
  m.bytes = bytes;
  m.start = start;
  m.end = end;
  m.correlationId = correlation;
  m.streamId = 3;
  return m;
}

inline CUpti_ActivityExternalCorrelation external_record(uint64_t external_id, uint32_t correlation,
                                                         CUpti_ExternalCorrelationKind kind =
                                                             CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0) {
  CUpti_ActivityExternalCorrelation e{};
  e.kind = CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION;
  e.externalKind = kind;
  e.externalId = external_id;
  e.correlationId = correlation;
  return e;
}

}  // namespace moesim::testing
