// balanced vs deepseek at DeepSeek-V3 shapes on seeded Zipf loads (fewer layers and instances than
// the 200-instance table of `moesim_placement_bench --table`, to stay quick in Debug builds).
#include <gtest/gtest.h>

#include <cmath>

#include "planner/balanced.hpp"
#include "planner/eplb.hpp"
#include "planner/placement_stats.hpp"

namespace moesim::planner {
namespace {

struct Comparison {
  double gap_deepseek = 0, gap_balanced = 0;
  int balanced_worse = 0;
};

// `instances` seeded instances of `layers` layers; exponents cycle over 0.5 ... 1.2 from `first`.
Comparison compare(const PlacementSpec& spec, int instances, int layers, double first) {
  Comparison c;
  for (int i = 0; i < instances; ++i) {
    const double exponent = 0.5 + 0.1 * ((static_cast<int>(std::lround((first - 0.5) * 10)) + i) % 8);
    const LoadMatrix loads = traces::zipf_loads({layers, 256, exponent, 8.0 * 4096, static_cast<uint64_t>(100 + i)});
    const LayerBounds bounds = lower_bounds(loads, spec);
    const PlacementStats d = placement_stats(place_deepseek(loads, spec), loads, spec, bounds);
    const PlacementStats b = placement_stats(place_balanced(loads, spec), loads, spec, bounds);
    c.gap_deepseek += d.gap_mean / instances, c.gap_balanced += b.gap_mean / instances;
    c.balanced_worse += b.imbalance_mean > d.imbalance_mean + 1e-12;
  }
  return c;
}

TEST(PolicyComparison, PrefillBalancedClosesTwoThirdsOfTheGap) {
  const Comparison c = compare({288, 8, 4, 32}, 3, 6, 0.6);
  EXPECT_EQ(c.balanced_worse, 0);
  EXPECT_GT(c.gap_deepseek, 0.01);
  EXPECT_LE(c.gap_balanced, c.gap_deepseek / 3) << c.gap_balanced << " vs " << c.gap_deepseek;
}

// Two slots per GPU: the pair certificate (slot_bound.cpp, bound (e)) makes the bound tight enough
// that the criterion of the prefill shape applies here as well.
TEST(PolicyComparison, DecodeBalancedClosesTwoThirdsOfTheGap) {
  const Comparison c = compare({288, 8, 18, 144}, 8, 4, 0.5);
  EXPECT_EQ(c.balanced_worse, 0);
  EXPECT_GT(c.gap_deepseek, 0.003);
  EXPECT_LE(c.gap_balanced, c.gap_deepseek / 3) << c.gap_balanced << " vs " << c.gap_deepseek;
}

}  // namespace
}  // namespace moesim::planner
