// balanced vs deepseek at DeepSeek-V3 shapes on seeded Zipf loads (fewer layers and instances than
// the 200-instance table of `moesim_placement_bench --table`, to stay quick in Debug builds).
#include <gtest/gtest.h>

#include "planner/balanced.hpp"
#include "planner/eplb.hpp"
#include "planner/placement_stats.hpp"

namespace moesim::planner {
namespace {

struct Comparison {
  double gap_deepseek = 0, gap_balanced = 0;
  int balanced_worse = 0;
};

Comparison compare(const PlacementSpec& spec) {
  Comparison c;
  const double exponents[] = {0.6, 0.9, 1.2};
  for (int i = 0; i < 3; ++i) {
    const LoadMatrix loads = zipf_loads({6, 256, exponents[i], 8.0 * 4096, static_cast<uint64_t>(100 + i)});
    const LayerBounds bounds = lower_bounds(loads, spec);
    const PlacementStats d = placement_stats(place_deepseek(loads, spec), loads, spec, bounds);
    const PlacementStats b = placement_stats(place_balanced(loads, spec), loads, spec, bounds);
    c.gap_deepseek += d.gap_mean / 3, c.gap_balanced += b.gap_mean / 3;
    c.balanced_worse += b.imbalance_mean > d.imbalance_mean + 1e-12;
  }
  return c;
}

TEST(PolicyComparison, PrefillBalancedClosesTwoThirdsOfTheGap) {
  const Comparison c = compare({288, 8, 4, 32});
  EXPECT_EQ(c.balanced_worse, 0);
  EXPECT_GT(c.gap_deepseek, 0.01);
  EXPECT_LE(c.gap_balanced, c.gap_deepseek / 3) << c.gap_balanced << " vs " << c.gap_deepseek;
}

// Two slots per GPU: the lower bound is loose here (about 5 % below the exact optimum on small
// instances, see lower_bound_test.cpp), so two thirds of the gap cannot be closed; balanced still
// never loses and closes part of it (the replication it finds matches the exact optimum there).
TEST(PolicyComparison, DecodeBalancedNeverWorseAndClosesPartOfTheGap) {
  const Comparison c = compare({288, 8, 18, 144});
  EXPECT_EQ(c.balanced_worse, 0);
  EXPECT_LT(c.gap_balanced, 0.9 * c.gap_deepseek) << c.gap_balanced << " vs " << c.gap_deepseek;
}

}  // namespace
}  // namespace moesim::planner
