// Migration budget and the locality policy.
#include <gtest/gtest.h>

#include "planner/balanced.hpp"
#include "planner/eplb.hpp"
#include "planner/locality.hpp"
#include "planner/migration.hpp"
#include "planner/placement_stats.hpp"

namespace moesim::planner {
namespace {

const PlacementSpec kSpec{40, 4, 5, 20};  // global (5 nodes do not divide 4 groups), 2 slots per GPU

TEST(Migration, BudgetCapsChangedSlotsPerLayerAndNeverDropsAnExpert) {
  const LoadMatrix old_loads = traces::zipf_loads({3, 32, 1.0, 10000, 1}), new_loads = traces::zipf_loads({3, 32, 1.0, 10000, 2});
  const PlacementPlan previous = place_balanced(old_loads, kSpec), target = place_balanced(new_loads, kSpec);
  double last = placement_stats(previous, new_loads, kSpec).imbalance_mean;
  for (int k : {0, 2, 6}) {
    const MigrationResult r = limit_migration(previous, target, new_loads, kSpec, {k, false});
    EXPECT_EQ(check_plan(r.plan, kSpec, 32), "") << k;
    for (size_t l = 0; l < 3; ++l) {
      EXPECT_LE(r.moves_per_layer[l], k);
      EXPECT_EQ(r.moves_per_layer[l], count_moves(previous.physical_to_logical[l], r.plan.physical_to_logical[l]));
    }
    const double now = placement_stats(r.plan, new_loads, kSpec).imbalance_mean;
    EXPECT_LE(now, last + 1e-12) << "a larger budget never balances worse here, K=" << k;
    last = now;
  }
  EXPECT_EQ(limit_migration(previous, target, new_loads, kSpec, {0, false}).total_moves, 0);
}

TEST(Migration, UnlimitedBudgetAdoptsTheTargetUpToRelabelling) {
  const LoadMatrix loads = traces::zipf_loads({2, 32, 0.8, 10000, 4});
  const PlacementPlan plan = place_balanced(loads, kSpec);
  // The same plan as "previous" needs no move at all, whatever the GPU numbering.
  const MigrationResult same = limit_migration(plan, plan, loads, kSpec, {-1, false});
  EXPECT_EQ(same.total_moves, 0);
  const MigrationResult r = limit_migration(place_deepseek(loads, kSpec), plan, loads, kSpec, {-1, false});
  EXPECT_NEAR(placement_stats(r.plan, loads, kSpec).imbalance_mean, placement_stats(plan, loads, kSpec).imbalance_mean, 1e-12);
}

TEST(Migration, ParsesPreviousPlacementAndRejectsBadOnes) {
  const PlacementSpec spec{4, 1, 1, 2};
  EXPECT_TRUE(parse_previous_placement(R"({"physical_to_logical_map": [[0, 1, 2, 0]]})", "p.json", spec, 1, 3).ok());
  auto err = [&](const std::string& text) {
    const auto r = parse_previous_placement(text, "p.json", spec, 1, 3);
    return r.ok() ? std::string() : r.errors()[0].message;
  };
  EXPECT_EQ(err("{}"), "p.json: missing \"physical_to_logical_map\" (expected a placement written by `moesim place --json`)");
  EXPECT_EQ(err(R"({"physical_to_logical_map": [[0, 1, 2]]})"), "p.json: physical_to_logical_map[0] does not have 4 slots (--replicas)");
  EXPECT_EQ(err(R"({"physical_to_logical_map": [[0, 1, 7, 0]]})"), "p.json: physical_to_logical_map[0]: expert id 7 is out of range [0, 3)");
  EXPECT_EQ(err(R"({"physical_to_logical_map": [[0, 1, 1, 0]]})"), "p.json: physical_to_logical_map[0]: expert 2 has no slot");
  EXPECT_EQ(err(R"({"physical_to_logical_map": []})"), "p.json: physical_to_logical_map has 0 layers, expected 1 (as in the loads)");
}

TEST(Locality, CutsCrossNodeTrafficOfClusteredRoutingWithinTheLoadSlack) {
  const RoutingTrace trace = traces::synthetic_routing_trace({2, 48, 4, 1000, 6, 0.85, 3});
  const LoadMatrix loads = traces::loads_from_trace(trace);
  const PlacementSpec spec{48, 4, 6, 24};  // global: 6 nodes do not divide 4 groups
  const PlacementPlan balanced = place_balanced(loads, spec), local = place_locality(loads, trace, spec, 0.05);
  EXPECT_EQ(check_plan(local, spec, 48), "");
  const double before = cross_node_bytes_per_token(balanced, trace, spec, {});
  const double after = cross_node_bytes_per_token(local, trace, spec, {});
  EXPECT_LT(after, 0.85 * before) << before << " -> " << after;
  const auto sb = placement_stats(balanced, loads, spec), sl = placement_stats(local, loads, spec);
  for (size_t l = 0; l < loads.size(); ++l) {
    EXPECT_LE(sl.per_layer[l].max_gpu_load, 1.05 * sb.per_layer[l].max_gpu_load + 1e-9);
  }
}

TEST(Locality, HierarchicalShapesKeepGroupsOnNodesAndNeverAddTraffic) {
  const RoutingTrace trace = traces::synthetic_routing_trace({2, 64, 8, 1000, 8, 0.85, 5});
  const LoadMatrix loads = traces::loads_from_trace(trace);
  const PlacementSpec spec{80, 8, 4, 16};  // 8 groups on 4 nodes
  const PlacementPlan balanced = place_balanced(loads, spec), local = place_locality(loads, trace, spec, 0.05);
  EXPECT_EQ(check_plan(local, spec, 64), "");
  for (const auto& p2l : local.physical_to_logical) EXPECT_TRUE(keeps_groups_on_nodes(p2l, spec, 64));
  EXPECT_LT(cross_node_bytes_per_token(local, trace, spec, {}), cross_node_bytes_per_token(balanced, trace, spec, {}));
}

TEST(Locality, TrafficCountsRemoteNodesOncePerToken) {
  // 2 nodes × 1 GPU × 2 slots; experts 0,1 on node 0 and 2,3 on node 1. A token choosing {0, 1}
  // starts on node 0 half the time (no remote node) and on node 1 otherwise (one remote node).
  const PlacementSpec spec{4, 1, 2, 2};
  PlacementPlan plan;
  plan.physical_to_logical = {{0, 1, 2, 3}};
  fill_logical_maps(&plan, spec, 4);
  const RoutingTrace trace{4, 2, 2, {{0, 1, 0, 2}}};
  // Token {0, 1}: 0.5 remote nodes on average; token {0, 2}: always exactly one remote node.
  EXPECT_DOUBLE_EQ(cross_node_bytes_per_token(plan, trace, spec, {100.0}), 100.0 * (0.5 + 1.0) / 2);
}

}  // namespace
}  // namespace moesim::planner
