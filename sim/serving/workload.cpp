#include "sim/serving/workload.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace moesim::sim::serving {

namespace {

int64_t draw_length(const configs::LengthSpec& s, std::mt19937_64& rng) {
  double v = s.mean;
  switch (s.distribution) {
    case configs::LengthDistribution::kFixed: break;
    case configs::LengthDistribution::kUniform: {
      const double half = s.mean * s.cv * std::sqrt(3.0);  // uniform with the given stddev
      v = std::uniform_real_distribution<double>(s.mean - half, s.mean + half)(rng);
      break;
    }
    case configs::LengthDistribution::kExponential: v = std::exponential_distribution<double>(1.0 / s.mean)(rng); break;
    case configs::LengthDistribution::kLognormal: {
      const double sigma2 = std::log1p(s.cv * s.cv);
      v = std::lognormal_distribution<double>(std::log(s.mean) - sigma2 / 2, std::sqrt(sigma2))(rng);
      break;
    }
  }
  return std::clamp<int64_t>(std::llround(v), s.min, s.max);
}

}  // namespace

std::vector<RequestRecord> generate_requests(const configs::ServingWorkloadSpec& spec, double rate_per_s,
                                             uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<RequestRecord> out;
  out.reserve(static_cast<size_t>(spec.requests));
  // Gamma gaps with mean 1/rate and coefficient of variation cv: shape 1/cv², scale cv²/rate.
  const double cv = spec.arrival == configs::ArrivalProcess::kGamma ? spec.gamma_cv : 1.0;
  std::gamma_distribution<double> gap(1.0 / (cv * cv), cv * cv / rate_per_s);
  double t = 0;
  for (int64_t i = 0; i < spec.requests; ++i) {
    t += gap(rng);
    RequestRecord r;
    r.arrival_s = t;
    r.input_tokens = draw_length(spec.input_tokens, rng);
    r.output_tokens = draw_length(spec.output_tokens, rng);
    r.cached_tokens = std::min<int64_t>(r.input_tokens - 1,
                                        static_cast<int64_t>(spec.prefix_cache_hit_rate * static_cast<double>(r.input_tokens)));
    out.push_back(r);
  }
  return out;
}

double mean_length(const configs::LengthSpec& spec) {
  std::mt19937_64 rng(12345);
  double sum = 0;
  const int n = spec.distribution == configs::LengthDistribution::kFixed ? 1 : 20000;
  for (int i = 0; i < n; ++i) sum += static_cast<double>(draw_length(spec, rng));
  return sum / n;
}

}  // namespace moesim::sim::serving
