#include "sim/network_fit.hpp"

#include <algorithm>
#include <cmath>

namespace moesim::sim {

namespace {

// What a cell's time is made of at unit efficiencies.
struct CellTimes {
  bool internode = false;
  double nvl_s = 0, rdma_s = 0, logical_bytes = 0, measured_bw = 0;
};

double predicted_bw(const CellTimes& c, double e_nvl, double e_fwd, double e_rdma, double latency_s) {
  const double nvl = c.nvl_s / (c.internode ? e_fwd : e_nvl);
  const double t = std::max(nvl, c.rdma_s / e_rdma) + latency_s;
  return c.logical_bytes / t;
}

double worst_error(const std::vector<CellTimes>& cells, double e_nvl, double e_fwd, double e_rdma, double lat) {
  double worst = 0;
  for (const CellTimes& c : cells)
    worst = std::max(worst, std::abs(predicted_bw(c, e_nvl, e_fwd, e_rdma, lat) / c.measured_bw - 1));
  return worst;
}

}  // namespace

Result<NetworkFitResult> fit_network_calibration(const models::ModelSpec& model, const models::ClusterSpec& cluster,
                                                 const std::vector<AllToAllMeasurement>& measured,
                                                 const AllToAllSpec& base) {
  if (measured.empty()) return bad_input("no all-to-all measurements to fit");
  NetworkCalibration unit;
  unit.source = "unit";
  std::vector<CellTimes> cells;
  for (const AllToAllMeasurement& m : measured) {
    AllToAllSpec spec = base;
    spec.ep = m.ep;
    Result<AllToAllResult> r = simulate_all_to_all(model, cluster, unit, spec);
    if (!r.ok()) return r.errors();
    const AllToAllResult& v = r.value();
    cells.push_back({v.internode, v.dispatch_nvlink_only_s, v.dispatch_rdma_only_s, v.logical_bytes_dispatch,
                     m.dispatch_bw_bytes_per_s});
    cells.push_back({v.internode, v.combine_nvlink_only_s, v.combine_rdma_only_s, v.logical_bytes_combine,
                     m.combine_bw_bytes_per_s});
  }
  // Step 2: intranode cells depend on (nvlink, latency) only, internode ones on (forward, rdma,
  // latency): for each latency fit the two groups separately; 0.005 steps are below the data's scatter.
  std::vector<CellTimes> intra, inter;
  for (const CellTimes& c : cells) (c.internode ? inter : intra).push_back(c);
  NetworkFitResult best;
  best.max_abs_relative_error = 1e300;
  for (int li = 0; li <= 20; ++li) {
    const double lat = li * 5e-6;
    double best_intra = intra.empty() ? 0 : 1e300, e_nvl_best = 1;
    for (int i = 0; i <= 220 && !intra.empty(); ++i) {
      const double e = 0.40 + 0.005 * i;
      const double err = worst_error(intra, e, 1, 1, lat);
      if (err < best_intra) best_intra = err, e_nvl_best = e;
    }
    double best_inter = inter.empty() ? 0 : 1e300, e_fwd_best = 1, e_rdma_best = 1;
    for (int i = 0; i <= 220 && !inter.empty(); ++i) {
      for (int j = 0; j <= 120; ++j) {
        const double e_fwd = 0.40 + 0.005 * i, e_rdma = 0.40 + 0.005 * j;
        const double err = worst_error(inter, 1, e_fwd, e_rdma, lat);
        if (err < best_inter) best_inter = err, e_fwd_best = e_fwd, e_rdma_best = e_rdma;
      }
    }
    const double err = std::max(best_intra, best_inter);
    if (err < best.max_abs_relative_error - 1e-9) {
      best.max_abs_relative_error = err;
      best.calibration = {e_nvl_best, e_fwd_best, e_rdma_best, lat, "fit"};
    }
  }
  return best;
}

}  // namespace moesim::sim
