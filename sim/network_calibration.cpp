#include "sim/network_calibration.hpp"

#include <nlohmann/json.hpp>

#include "sim/embedded_calibration.hpp"  // generated: kNetworkCalibrationH800

namespace moesim::sim {

Result<NetworkCalibration> parse_network_calibration(const std::string& json_text,
                                                     const std::string& display_path) {
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad_input(display_path + ": not valid JSON");
  const auto fitted = doc.find("fitted");
  if (fitted == doc.end() || !fitted->is_object())
    return bad_input(display_path + ": fitted: missing; expected an object of fitted factors");
  NetworkCalibration cal;
  cal.source = display_path;
  std::vector<Error> errors;
  auto read = [&](const char* key, double* out, double lo, double hi) {
    const auto it = fitted->find(key);
    if (it == fitted->end() || !it->is_number()) {
      errors.push_back(bad_input(display_path + ": fitted." + key + ": missing; expected a number"));
      return;
    }
    const double v = it->get<double>();
    if (!(v >= lo && v <= hi)) {
      errors.push_back(bad_input(display_path + ": fitted." + key + ": " + std::to_string(v) +
                                 "; expected a value in [" + std::to_string(lo) + ", " +
                                 std::to_string(hi) + "]"));
      return;
    }
    *out = v;
  };
  // NVLink factors are relative to the cluster's "achieved" figure and may exceed 1 a little.
  read("nvlink_efficiency", &cal.nvlink_efficiency, 0.05, 1.5);
  read("nvlink_forward_efficiency", &cal.nvlink_forward_efficiency, 0.05, 1.5);
  read("rdma_efficiency", &cal.rdma_efficiency, 0.05, 1.0);
  read("collective_latency_s", &cal.collective_latency_s, 0.0, 1e-2);
  if (!errors.empty()) return errors;
  return cal;
}

NetworkCalibration embedded_network_calibration(const std::string& gpu_name) {
  if (gpu_name == "h800" || gpu_name == "h100" || gpu_name == "h200") {
    // Hopper fabrics share the fitted factors: the fit is against H800 NVLink and CX7 400G IB.
    Result<NetworkCalibration> cal =
        parse_network_calibration(kNetworkCalibrationH800, "traces/calibration/network-h800.json");
    if (cal.ok()) return cal.value();
  }
  NetworkCalibration none;
  none.source = "uncalibrated";
  return none;
}

}  // namespace moesim::sim
