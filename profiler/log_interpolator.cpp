#include "profiler/log_interpolator.hpp"

#include <algorithm>
#include <cmath>

namespace moesim::profiler {

LogInterpolator::LogInterpolator(std::vector<CurvePoint> points) {
  std::sort(points.begin(), points.end(),
            [](const CurvePoint& a, const CurvePoint& b) { return a.tau_s < b.tau_s; });
  // Blocks of (sum of log time, count, log tau); equal taus share a block from the start.
  struct Block {
    double log_tau;
    double sum;
    double count;
  };
  std::vector<Block> blocks;
  for (const CurvePoint& p : points) {
    const double lt = std::log(p.tau_s), ly = std::log(p.time_s);
    if (!blocks.empty() && lt - blocks.back().log_tau < 1e-12) {
      blocks.back().sum += ly;
      blocks.back().count += 1;
    } else {
      blocks.push_back({lt, ly, 1});
    }
  }
  // Pool adjacent violators: merge values (not taus) until the means are non-decreasing.
  std::vector<std::pair<double, double>> pooled;  // (mean, weight) per pool
  std::vector<size_t> pool_end;                   // last block index of each pool
  for (size_t i = 0; i < blocks.size(); ++i) {
    pooled.push_back({blocks[i].sum / blocks[i].count, blocks[i].count});
    pool_end.push_back(i);
    while (pooled.size() > 1 && pooled[pooled.size() - 2].first > pooled.back().first) {
      auto [m2, w2] = pooled.back();
      pooled.pop_back();
      pool_end.pop_back();
      auto& [m1, w1] = pooled.back();
      m1 = (m1 * w1 + m2 * w2) / (w1 + w2);
      w1 += w2;
      pool_end.back() = i;
    }
  }
  size_t start = 0;
  for (size_t p = 0; p < pooled.size(); ++p) {
    for (size_t i = start; i <= pool_end[p]; ++i) {
      log_tau_.push_back(blocks[i].log_tau);
      log_time_.push_back(pooled[p].first);
    }
    start = pool_end[p] + 1;
  }
}

double LogInterpolator::time_s(double tau_s) const {
  const double lt = std::log(std::max(tau_s, 1e-300));
  if (lt <= log_tau_.front()) return std::exp(log_time_.front());
  if (lt >= log_tau_.back()) return std::exp(log_time_.back() + (lt - log_tau_.back()));
  const size_t hi = static_cast<size_t>(std::upper_bound(log_tau_.begin(), log_tau_.end(), lt) - log_tau_.begin());
  const size_t lo = hi - 1;
  const double f = (lt - log_tau_[lo]) / (log_tau_[hi] - log_tau_[lo]);
  return std::exp(log_time_[lo] + f * (log_time_[hi] - log_time_[lo]));
}

double LogInterpolator::extrapolation_log2(double tau_s) const {
  const double lt = std::log(std::max(tau_s, 1e-300));
  if (lt < log_tau_.front()) return (log_tau_.front() - lt) / std::log(2.0);
  if (lt > log_tau_.back()) return (lt - log_tau_.back()) / std::log(2.0);
  return 0.0;
}

std::vector<double> interpolation_loo_errors(const std::vector<CurvePoint>& points) {
  std::vector<double> errors;
  if (points.size() < 3) return errors;
  for (size_t i = 0; i < points.size(); ++i) {
    std::vector<CurvePoint> rest;
    for (size_t j = 0; j < points.size(); ++j) {
      if (j != i) rest.push_back(points[j]);
    }
    const double pred = LogInterpolator(rest).time_s(points[i].tau_s);
    errors.push_back(std::fabs(pred - points[i].time_s) / points[i].time_s);
  }
  return errors;
}

double rms(const std::vector<double>& errors) {
  if (errors.empty()) return 0.0;
  double s = 0;
  for (double e : errors) s += e * e;
  return std::sqrt(s / static_cast<double>(errors.size()));
}

}  // namespace moesim::profiler
