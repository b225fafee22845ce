// GPUs and the clusters built from them. SI units throughout (bytes, bytes/s, flop/s, seconds, watts).
#pragma once

#include <map>
#include <string>

#include "models/dtype.hpp"

namespace moesim::models {

// One accelerator model from the catalog (datasheet peaks, dense, no sparsity).
struct GpuSpec {
  std::string name;          // catalog name as users type it: "h800"
  std::string display_name;  // "NVIDIA H800 SXM"
  std::string source;        // where the numbers come from
  std::string family;        // architecture family for scaling calibrations: "hopper", "ampere", ...
  int sm_count = 0;
  std::map<DType, double> peak_flops;  // dense tensor-core peak per input format; absent = unsupported
  double hbm_bytes = 0;                // memory capacity
  double usable_hbm_bytes = 0;         // what a program can allocate (defaults to hbm_bytes)
  double hbm_bw_bytes_per_s = 0;
  double scale_up_bw_bytes_per_s = 0;  // NVLink-class bandwidth per GPU, both directions together
  double nic_bw_bytes_per_s = 0;       // scale-out NIC bandwidth per GPU, one direction
  double tdp_w = 0;
  double price_usd_per_gpu_hour = 0;
  // Measured ceilings where known (0 = unknown): the roofline uses these rather than datasheet peaks.
  double measured_bf16_flops = 0;
  double measured_hbm_bw_bytes_per_s = 0;
};

// The network between nodes: a two-layer fat-tree, optionally with one plane per GPU index.
struct ScaleOutSpec {
  double nic_bw_bytes_per_s = 0;         // per GPU, one direction (0 = take the GPU's)
  double efficiency = 1.0;               // achievable / nominal, calibrated against all-to-all measurements
  double latency_same_leaf_s = 2.8e-6;
  double latency_cross_leaf_s = 3.7e-6;
  int planes = 1;                        // independent fat-trees, GPU i of every node on plane i % planes
  int leaf_switch_ports = 64;            // radix of a leaf switch
  double oversubscription = 1.0;         // leaf downlinks / uplinks
};

// The scale-up (NVLink/NVSwitch) domain: GPUs that reach each other without a NIC.
struct ScaleUpSpec {
  int domain_gpus = 8;                   // GPUs in one NVLink domain (8 for HGX, 72 for NVL72)
  double bw_bytes_per_s = 0;             // achievable per GPU, one direction (0 = half the GPU's total)
  double latency_s = 3.33e-6;
};

struct ClusterSpec {
  std::string name;
  std::string description;
  std::string source;
  std::string gpu_name;   // key into the GPU catalog
  GpuSpec gpu;            // resolved by the loader
  int nodes = 1;
  int gpus_per_node = 8;
  ScaleUpSpec scale_up;
  ScaleOutSpec scale_out;
};

inline int total_gpus(const ClusterSpec& c) { return c.nodes * c.gpus_per_node; }

// Achievable one-direction NVLink bandwidth per GPU, with the defaults applied.
double scale_up_bw_one_way(const ClusterSpec& c);
// Achievable one-direction NIC bandwidth per GPU, with the defaults and efficiency applied.
double scale_out_bw_one_way(const ClusterSpec& c);
// Peak tensor flop/s of a GPU for a format; falls back to the nearest wider supported format
// (an A100 runs fp8 GEMMs at its bf16 rate), and 0 if none is supported.
double peak_flops_for(const GpuSpec& gpu, DType dtype);
// Whether the GPU has native tensor-core support for the format.
bool supports(const GpuSpec& gpu, DType dtype);

}  // namespace moesim::models
