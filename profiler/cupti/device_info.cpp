// See device_info.hpp.
#include "profiler/cupti/device_info.hpp"

#include <cuda_runtime_api.h>
#include <cupti.h>

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <sstream>

namespace moesim::profiler::cupti {
namespace {

Error no_device(const char* call, cudaError_t code) {
  std::ostringstream out;
  out << "no CUDA GPU available: " << call << " returned " << static_cast<int>(code) << " ("
      << cudaGetErrorName(code) << ": " << cudaGetErrorString(code) << ")";
  return Error{ErrorKind::kNoDevice, out.str()};
}

// NVML comes with the driver, not the toolkit (no nvml.h here), so it is opened at run time: linking
// it would stop moesim from starting on machines without a driver. Prototypes per NVML's C API.
void read_nvml(DeviceInfo* d) {
  void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return;
  using InitFn = int (*)();
  using DriverFn = int (*)(char*, unsigned);
  using HandleFn = int (*)(unsigned, void**);
  using ClockFn = int (*)(void*, int, unsigned*);
  auto init = reinterpret_cast<InitFn>(dlsym(lib, "nvmlInit_v2"));
  auto shutdown = reinterpret_cast<InitFn>(dlsym(lib, "nvmlShutdown"));
  auto driver = reinterpret_cast<DriverFn>(dlsym(lib, "nvmlSystemGetDriverVersion"));
  auto handle = reinterpret_cast<HandleFn>(dlsym(lib, "nvmlDeviceGetHandleByIndex_v2"));
  auto clock = reinterpret_cast<ClockFn>(dlsym(lib, "nvmlDeviceGetClockInfo"));
  auto max_clock = reinterpret_cast<ClockFn>(dlsym(lib, "nvmlDeviceGetMaxClockInfo"));
  if (init && shutdown && driver && handle && clock && max_clock && init() == 0) {
    char text[96] = {0};
    if (driver(text, sizeof(text)) == 0) d->driver_release = text;
    void* device = nullptr;
    unsigned mhz = 0;
    constexpr int kSmClock = 1;  // NVML_CLOCK_SM
    // NVML numbers devices by PCI order, CUDA by speed unless CUDA_DEVICE_ORDER=PCI_BUS_ID; with
    // one GPU (the device machine) they agree.
    if (handle(static_cast<unsigned>(d->ordinal), &device) == 0) {
      if (clock(device, kSmClock, &mhz) == 0) d->sm_clock_now_mhz = static_cast<int>(mhz);
      if (max_clock(device, kSmClock, &mhz) == 0) d->sm_clock_max_mhz = static_cast<int>(mhz);
    }
    shutdown();
  }
  dlclose(lib);
}

}  // namespace

std::string cuda_version_string(int version) {
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

std::string utc_timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

Result<DeviceInfo> probe_device(int ordinal) {
  int count = 0;
  cudaError_t r = cudaGetDeviceCount(&count);
  if (r != cudaSuccess) return no_device("cudaGetDeviceCount", r);
  if (count <= 0) return Error{ErrorKind::kNoDevice, "no CUDA GPU available: cudaGetDeviceCount found 0 devices"};
  if (ordinal < 0 || ordinal >= count) {
    return bad_input("GPU ordinal " + std::to_string(ordinal) + ": expected 0.." + std::to_string(count - 1));
  }
  DeviceInfo d;
  d.ordinal = ordinal;
  cudaDeviceProp prop{};
  if ((r = cudaGetDeviceProperties(&prop, ordinal)) != cudaSuccess) return no_device("cudaGetDeviceProperties", r);
  d.name = prop.name;
  d.sm_count = prop.multiProcessorCount;
  d.compute_major = prop.major;
  d.compute_minor = prop.minor;
  d.memory_bytes = static_cast<int64_t>(prop.totalGlobalMem);
  cudaDeviceGetAttribute(&d.sm_clock_khz, cudaDevAttrClockRate, ordinal);
  cudaDeviceGetAttribute(&d.memory_clock_khz, cudaDevAttrMemoryClockRate, ordinal);
  cudaDriverGetVersion(&d.driver_version);
  cudaRuntimeGetVersion(&d.runtime_version);
  uint32_t cupti = 0;
  if (cuptiGetVersion(&cupti) == CUPTI_SUCCESS) d.cupti_version = static_cast<int>(cupti);
  read_nvml(&d);
  return d;
}

std::string catalog_gpu_name(const std::string& device_name) {
  std::string name = device_name;
  if (name.rfind("NVIDIA ", 0) == 0) name = name.substr(7);
  name = name.substr(0, name.find(' '));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name.empty() ? "unknown" : name;
}

std::string gpu_family_of(int major, int minor) {
  if (major == 9) return "hopper";
  if (major == 10 || major == 12) return "blackwell";
  if (major == 8) return minor == 9 ? "ada" : "ampere";
  return "unknown";
}

std::map<std::string, std::string> provenance_of(const DeviceInfo& d) {
  const int sm_mhz = d.sm_clock_now_mhz > 0 ? d.sm_clock_now_mhz : d.sm_clock_khz / 1000;
  return {{"gpu", catalog_gpu_name(d.name)},
          {"gpu_name", d.name},
          {"gpu_family", gpu_family_of(d.compute_major, d.compute_minor)},
          {"sm_count", std::to_string(d.sm_count)},
          {"compute_capability", std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor)},
          {"memory_bytes", std::to_string(d.memory_bytes)},
          {"sm_clock_mhz", std::to_string(sm_mhz)},
          {"sm_clock_max_mhz", std::to_string(d.sm_clock_max_mhz > 0 ? d.sm_clock_max_mhz : d.sm_clock_khz / 1000)},
          {"memory_clock_mhz", std::to_string(d.memory_clock_khz / 1000)},
          {"driver", d.driver_release.empty() ? "unknown" : d.driver_release},
          {"driver_cuda_api", cuda_version_string(d.driver_version)},
          {"cuda", cuda_version_string(d.runtime_version)},
          {"cupti_api", std::to_string(d.cupti_version)},
          {"date", utc_timestamp()},
          {"tool", "moesim profile"},
          {"tool_version", MOESIM_VERSION_STRING}};
}

}  // namespace moesim::profiler::cupti
