#include "profiler/collective_cost.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace moesim::profiler {

namespace {

Status check(double bytes, int ranks, const char* ranks_flag, const models::ClusterSpec& c) {
  if (!(bytes > 0) || !std::isfinite(bytes)) {
    return bad_input("bytes must be a positive number, got " + std::to_string(bytes));
  }
  if (ranks < 1) return bad_input(std::string(ranks_flag) + " must be >= 1, got " + std::to_string(ranks));
  if (ranks > models::total_gpus(c)) {
    return infeasible(std::string(ranks_flag) + " " + std::to_string(ranks) + " needs more GPUs than cluster '" +
                      c.name + "' has (" + std::to_string(models::total_gpus(c)) + ")");
  }
  if (models::scale_up_bw_one_way(c) <= 0 || (ranks > c.scale_up.domain_gpus && models::scale_out_bw_one_way(c) <= 0)) {
    return bad_input("cluster '" + c.name + "' has no usable link bandwidth for " + std::to_string(ranks) + " ranks");
  }
  return {};
}

int domain_size(int ranks, const models::ClusterSpec& c) {
  return std::max(1, std::min(ranks, c.scale_up.domain_gpus > 0 ? c.scale_up.domain_gpus : c.gpus_per_node));
}

// `sequential`: the NVLink and NIC phases run one after the other (else they overlap).
CollectivePrediction finish(CollectivePrediction p, bool sequential) {
  const double transfer = sequential ? p.scale_up_s + p.scale_out_s : std::max(p.scale_up_s, p.scale_out_s);
  p.estimate.time_s = transfer + p.latency_s;
  p.estimate.source = "roofline";
  p.estimate.calibrated = false;
  p.estimate.error_estimate = kCollectiveRelativeError;
  return p;
}

}  // namespace

Result<CollectivePrediction> alltoall_time(double bytes_per_gpu, int ep, const models::ClusterSpec& c) {
  if (Status s = check(bytes_per_gpu, ep, "--ep", c); !s.ok()) return s.errors();
  CollectivePrediction p;
  p.ranks = ep;
  p.ranks_per_domain = domain_size(ep, c);
  const double share = bytes_per_gpu / ep;
  p.scale_up_bytes = share * (p.ranks_per_domain - 1);
  p.scale_out_bytes = share * (ep - p.ranks_per_domain);
  p.scale_up_s = p.scale_up_bytes / models::scale_up_bw_one_way(c);
  p.scale_out_s = p.scale_out_bytes > 0 ? p.scale_out_bytes / models::scale_out_bw_one_way(c) : 0;
  if (ep > 1) p.latency_s = p.scale_out_bytes > 0 ? std::max(c.scale_up.latency_s, c.scale_out.latency_cross_leaf_s)
                                                  : c.scale_up.latency_s;
  return finish(p, false);
}

Result<CollectivePrediction> allreduce_time(double bytes, int gpus, const models::ClusterSpec& c) {
  if (Status s = check(bytes, gpus, "--gpus", c); !s.ok()) return s.errors();
  CollectivePrediction p;
  p.ranks = gpus;
  const int d = domain_size(gpus, c);
  p.ranks_per_domain = d;
  const double up_bw = models::scale_up_bw_one_way(c);
  if (gpus <= d) {
    p.scale_up_bytes = 2.0 * (gpus - 1) / gpus * bytes;
    p.scale_up_s = p.scale_up_bytes / up_bw;
    p.latency_s = 2.0 * (gpus - 1) * c.scale_up.latency_s;
    return finish(p, true);
  }
  const int domains = (gpus + d - 1) / d;
  // Reduce-scatter then all-gather inside the domain; the two phases run one after the other.
  p.scale_up_bytes = 2.0 * (d - 1) / d * bytes;
  p.scale_out_bytes = 2.0 * (domains - 1) / domains * (bytes / d);
  p.scale_up_s = p.scale_up_bytes / up_bw;
  p.scale_out_s = p.scale_out_bytes / models::scale_out_bw_one_way(c);
  p.latency_s = 2.0 * (d - 1) * c.scale_up.latency_s + 2.0 * (domains - 1) * c.scale_out.latency_cross_leaf_s;
  return finish(p, true);
}

}  // namespace moesim::profiler
