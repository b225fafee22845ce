// Hand-written GPU specs for profiler tests (the catalog lives in configs/, which tests/profiler
// does not link). Numbers follow shared/reference/hardware.md.
#pragma once

#include "models/hardware_spec.hpp"

namespace moesim::profiler::testing {

inline models::GpuSpec hopper(const char* name, double hbm_bw, double measured_bf16 = 0, double measured_bw = 0) {
  models::GpuSpec g;
  g.name = name;
  g.family = "hopper";
  g.sm_count = 132;
  g.peak_flops = {{models::DType::kBf16, 989e12}, {models::DType::kFp16, 989e12}, {models::DType::kFp8, 1979e12}};
  g.hbm_bw_bytes_per_s = hbm_bw;
  g.measured_bf16_flops = measured_bf16;
  g.measured_hbm_bw_bytes_per_s = measured_bw;
  return g;
}

inline models::GpuSpec h200() { return hopper("h200", 4.8e12, 790e12, 4.3e12); }
inline models::GpuSpec h100() { return hopper("h100", 3.35e12); }
inline models::GpuSpec h20() {
  models::GpuSpec g = hopper("h20", 4.0e12);
  g.peak_flops = {{models::DType::kBf16, 148e12}, {models::DType::kFp8, 296e12}};
  return g;
}
inline models::GpuSpec a100() {
  models::GpuSpec g;
  g.name = "a100";
  g.family = "ampere";
  g.sm_count = 108;
  g.peak_flops = {{models::DType::kBf16, 312e12}, {models::DType::kFp16, 312e12}};
  g.hbm_bw_bytes_per_s = 2.04e12;
  return g;
}

}  // namespace moesim::profiler::testing
