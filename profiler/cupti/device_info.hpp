// Which GPU (if any) this process can profile, and the provenance written next to every measurement.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "models/result.hpp"

namespace moesim::profiler::cupti {

struct DeviceInfo {
  int ordinal = 0;
  std::string name;                 // "NVIDIA H200"
  int sm_count = 0;
  int compute_major = 0, compute_minor = 0;
  int64_t memory_bytes = 0;
  int sm_clock_khz = 0;             // peak (boost) clock the driver reports, not the live clock
  int memory_clock_khz = 0;
  int driver_version = 0;           // cudaDriverGetVersion (CUDA API level), e.g. 13000
  std::string driver_release;       // NVML's driver release, e.g. "580.65.06"; empty if NVML is absent
  int sm_clock_now_mhz = 0;         // NVML: SM clock when probed, and the application clock limit
  int sm_clock_max_mhz = 0;
  int runtime_version = 0;          // cudaRuntimeGetVersion
  int cupti_version = 0;            // CUPTI_API_VERSION at run time
};

// Finds device `ordinal`. Any CUDA failure, or no device at all, is ErrorKind::kNoDevice with the
// CUDA error named, e.g. "no CUDA GPU: cudaGetDeviceCount returned 35 (cudaErrorInsufficientDriver)".
Result<DeviceInfo> probe_device(int ordinal = 0);

// Provenance fields for calibration files, kernel records and traces, named as
// traces/calibration/README.md asks: gpu (catalog name), gpu_name, gpu_family, sm_count,
// sm_clock_mhz, memory_clock_mhz, driver, cuda, date (UTC, ISO 8601), tool, tool_version, plus a few
// informational ones (compute capability, CUPTI API level, max SM clock).
std::map<std::string, std::string> provenance_of(const DeviceInfo& device);

// "NVIDIA H200" -> "h200"; "NVIDIA H100 80GB HBM3" -> "h100" (the catalog's naming).
std::string catalog_gpu_name(const std::string& device_name);
// Compute capability major.minor -> "hopper", "blackwell", "ampere", "ada" or "unknown".
std::string gpu_family_of(int major, int minor);

// "13.0" from 13000.
std::string cuda_version_string(int version);

// Current UTC time as 2026-11-22T07:30:00Z.
std::string utc_timestamp();

}  // namespace moesim::profiler::cupti
