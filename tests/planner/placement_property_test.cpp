// Property tests over random instances: every policy yields valid, deterministic plans whose max
// GPU load never falls below the reported lower bound.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "planner/balanced.hpp"
#include "planner/eplb.hpp"
#include "planner/placement_stats.hpp"

namespace moesim::planner {
namespace {

struct Instance {
  LoadMatrix loads;
  PlacementSpec spec;
};

// Random shapes satisfying the preconditions: E = groups × group size, M = N × GPUs per node,
// R = M × slots per GPU >= E.
Instance random_instance(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return lo + static_cast<int>(rng() % (hi - lo + 1)); };
  Instance in;
  in.spec.groups = pick(1, 8);
  const int experts = in.spec.groups * pick(1, 8);
  in.spec.nodes = pick(1, 4);
  in.spec.gpus = in.spec.nodes * pick(1, 4);
  const int per_gpu = (experts + in.spec.gpus - 1) / in.spec.gpus + pick(0, 3);
  in.spec.replicas = in.spec.gpus * per_gpu;
  traces::ZipfLoadSpec z{pick(1, 3), experts, 0.2 * pick(0, 7), 1000.0 * pick(1, 50), seed};
  in.loads = traces::zipf_loads(z);
  return in;
}

std::set<int> experts_on_gpu(const std::vector<int>& p2l, int gpu, int per_gpu) {
  return std::set<int>(p2l.begin() + gpu * per_gpu, p2l.begin() + (gpu + 1) * per_gpu);
}

TEST(PlacementProperties, EveryPolicyGivesValidPlansAboveTheBound) {
  for (uint64_t seed = 0; seed < 60; ++seed) {
    const Instance in = random_instance(seed);
    const int experts = static_cast<int>(in.loads[0].size());
    ASSERT_TRUE(validate_placement_spec(in.spec, experts).empty()) << seed;
    for (const PlacementPlan& plan : {place_deepseek(in.loads, in.spec), place_balanced(in.loads, in.spec)}) {
      EXPECT_EQ(check_plan(plan, in.spec, experts), "") << "seed " << seed;
      const PlacementStats stats = placement_stats(plan, in.loads, in.spec);
      for (const auto& layer : stats.per_layer) {
        EXPECT_LE(layer.lower_bound, layer.max_gpu_load * (1 + 1e-9)) << "seed " << seed;
        EXPECT_GE(layer.gap, -1e-9);
      }
    }
  }
}

TEST(PlacementProperties, BalancedNeverPutsTwoReplicasOfAnExpertOnOneGpu) {
  for (uint64_t seed = 0; seed < 60; ++seed) {
    const Instance in = random_instance(seed);
    const int experts = static_cast<int>(in.loads[0].size());
    const int per_gpu = slots_per_gpu(in.spec);
    // Duplicates are forced only when a domain has more slots than experts × GPUs.
    const int domain_experts = is_hierarchical(in.spec) ? experts / in.spec.nodes : experts;
    const int domain_gpus = is_hierarchical(in.spec) ? gpus_per_node(in.spec) : in.spec.gpus;
    if (per_gpu * domain_gpus > domain_experts * domain_gpus) continue;
    const PlacementPlan plan = place_balanced(in.loads, in.spec);
    for (const auto& p2l : plan.physical_to_logical) {
      for (int g = 0; g < in.spec.gpus; ++g) EXPECT_EQ(experts_on_gpu(p2l, g, per_gpu).size(), static_cast<size_t>(per_gpu)) << seed;
    }
  }
}

TEST(PlacementProperties, HierarchicalPlansKeepGroupsOnNodes) {
  const LoadMatrix loads = traces::zipf_loads({3, 64, 1.0, 10000, 7});
  const PlacementSpec spec{80, 8, 4, 16};
  for (const PlacementPlan& plan : {place_deepseek(loads, spec), place_balanced(loads, spec)}) {
    for (const auto& p2l : plan.physical_to_logical) EXPECT_TRUE(keeps_groups_on_nodes(p2l, spec, 64));
  }
}

TEST(PlacementProperties, Deterministic) {
  const Instance in = random_instance(11);
  EXPECT_EQ(place_balanced(in.loads, in.spec).physical_to_logical, place_balanced(in.loads, in.spec).physical_to_logical);
  EXPECT_EQ(place_deepseek(in.loads, in.spec).physical_to_logical, place_deepseek(in.loads, in.spec).physical_to_logical);
  EXPECT_EQ(traces::zipf_loads({2, 16, 1.0, 100, 5}), traces::zipf_loads({2, 16, 1.0, 100, 5}));
  EXPECT_NE(traces::zipf_loads({2, 16, 1.0, 100, 5}), traces::zipf_loads({2, 16, 1.0, 100, 6}));
}

TEST(PlacementProperties, GpuLoadsSumToTheLayerTotal) {
  const Instance in = random_instance(3);
  const PlacementPlan plan = place_balanced(in.loads, in.spec);
  for (size_t l = 0; l < in.loads.size(); ++l) {
    double total = 0, placed = 0;
    for (double v : in.loads[l]) total += v;
    for (double v : gpu_loads(plan.physical_to_logical[l], in.loads[l], in.spec)) placed += v;
    EXPECT_NEAR(placed, total, 1e-6 * total);
  }
}

}  // namespace
}  // namespace moesim::planner
