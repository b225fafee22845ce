#include "sim/serving/workload.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace moesim::sim::serving {
namespace {

configs::ServingWorkloadSpec spec(configs::ArrivalProcess arrival, double cv) {
  configs::ServingWorkloadSpec w;
  w.requests = 20000;
  w.arrival = arrival;
  w.gamma_cv = cv;
  w.input_tokens = {configs::LengthDistribution::kLognormal, 4000, 0.5, 16, 65536};
  w.output_tokens = {configs::LengthDistribution::kExponential, 500, 0, 1, 100000};
  w.prefix_cache_hit_rate = 0.563;
  return w;
}

double gap_cv(const std::vector<RequestRecord>& r) {
  double sum = 0, sq = 0;
  for (size_t i = 1; i < r.size(); ++i) {
    const double g = r[i].arrival_s - r[i - 1].arrival_s;
    sum += g;
    sq += g * g;
  }
  const double n = static_cast<double>(r.size() - 1), mean = sum / n;
  return std::sqrt(sq / n - mean * mean) / mean;
}

TEST(Workload, PoissonGapsHaveUnitCvAndTheRate) {
  const std::vector<RequestRecord> r = generate_requests(spec(configs::ArrivalProcess::kPoisson, 1), 50.0, 7);
  EXPECT_NEAR(gap_cv(r), 1.0, 0.05);
  EXPECT_NEAR(static_cast<double>(r.size()) / r.back().arrival_s, 50.0, 2.0);
}

TEST(Workload, GammaGapsAreBursty) {
  const std::vector<RequestRecord> r = generate_requests(spec(configs::ArrivalProcess::kGamma, 4), 50.0, 7);
  EXPECT_GT(gap_cv(r), 3.0);
  EXPECT_NEAR(static_cast<double>(r.size()) / r.back().arrival_s, 50.0, 5.0);
}

TEST(Workload, LengthsAndCacheHitsFollowTheSpec) {
  const std::vector<RequestRecord> r = generate_requests(spec(configs::ArrivalProcess::kPoisson, 1), 10.0, 3);
  double in = 0, out = 0, cached = 0;
  for (const RequestRecord& q : r) {
    in += static_cast<double>(q.input_tokens);
    out += static_cast<double>(q.output_tokens);
    cached += static_cast<double>(q.cached_tokens);
    ASSERT_LT(q.cached_tokens, q.input_tokens);
    ASSERT_GE(q.output_tokens, 1);
  }
  EXPECT_NEAR(in / static_cast<double>(r.size()), 4000, 80);
  EXPECT_NEAR(out / static_cast<double>(r.size()), 500, 15);
  EXPECT_NEAR(cached / in, 0.563, 0.002);
}

TEST(Workload, SameSeedSameRequests) {
  const auto a = generate_requests(spec(configs::ArrivalProcess::kGamma, 2), 5.0, 11);
  const auto b = generate_requests(spec(configs::ArrivalProcess::kGamma, 2), 5.0, 11);
  const auto c = generate_requests(spec(configs::ArrivalProcess::kGamma, 2), 5.0, 12);
  EXPECT_EQ(write_request_trace_csv(a), write_request_trace_csv(b));
  EXPECT_NE(write_request_trace_csv(a), write_request_trace_csv(c));
}

}  // namespace
}  // namespace moesim::sim::serving
