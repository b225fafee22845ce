#include "models/hardware_spec.hpp"

namespace moesim::models {

double scale_up_bw_one_way(const ClusterSpec& c) {
  if (c.scale_up.bw_bytes_per_s > 0) return c.scale_up.bw_bytes_per_s;
  return c.gpu.scale_up_bw_bytes_per_s / 2.0;
}

double scale_out_bw_one_way(const ClusterSpec& c) {
  double nominal = c.scale_out.nic_bw_bytes_per_s > 0 ? c.scale_out.nic_bw_bytes_per_s
                                                      : c.gpu.nic_bw_bytes_per_s;
  return nominal * c.scale_out.efficiency;
}

bool supports(const GpuSpec& gpu, DType dtype) { return gpu.peak_flops.count(dtype) > 0; }

double peak_flops_for(const GpuSpec& gpu, DType dtype) {
  // Order in which a kernel in `dtype` would fall back to a wider format the GPU does support.
  static const DType kWider[] = {DType::kFp4, DType::kInt4, DType::kFp8, DType::kBf16, DType::kFp16,
                                 DType::kFp32};
  bool reached = false;
  for (DType d : kWider) {
    if (d == dtype) reached = true;
    if (!reached) continue;
    auto it = gpu.peak_flops.find(d);
    if (it != gpu.peak_flops.end()) return it->second;
  }
  return 0.0;
}

}  // namespace moesim::models
