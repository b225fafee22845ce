// Link-efficiency factors that make simulated collectives match measured ones. Fitted against
// DeepEP's published all-to-all bandwidths (T3) by `moesim validate`'s calibration step; stored with
// provenance in traces/calibration/network-<gpu>.json and embedded in the binary at build time.
#pragma once

#include <string>

#include "models/result.hpp"

namespace moesim::sim {

struct NetworkCalibration {
  double nvlink_efficiency = 1.0;      // achieved / spec'd NVLink bandwidth (cluster scale_up)
  // NVLink forwarding inside internode all-to-all kernels (DeepEP splits its SMs between RDMA
  // senders and NVLink forwarders, so forwarding runs below the intranode kernels' rate).
  double nvlink_forward_efficiency = 1.0;
  double rdma_efficiency = 1.0;        // achieved / nominal NIC bandwidth
  double collective_latency_s = 0.0;   // fixed cost per collective kernel (launch, sync, notify)
  std::string source;                  // file the factors came from, or "uncalibrated"
};

// Parses the JSON calibration file's text (keys: fitted.{nvlink_efficiency,
// nvlink_forward_efficiency, rdma_efficiency, collective_latency_s}). `display_path` names the file in error messages.
Result<NetworkCalibration> parse_network_calibration(const std::string& json_text,
                                                     const std::string& display_path);

// The calibration embedded at build time for a GPU family name ("h800"); uncalibrated factors
// (all 1, no latency) with source "uncalibrated" when none exists.
NetworkCalibration embedded_network_calibration(const std::string& gpu_name);

}  // namespace moesim::sim
