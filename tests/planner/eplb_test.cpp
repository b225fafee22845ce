// The deepseek policy against the published EPLB example and its building blocks.
#include <gtest/gtest.h>

#include "planner/eplb.hpp"

namespace moesim::planner {
namespace {

const LoadMatrix kLoads = {{90, 132, 40, 61, 104, 165, 39, 4, 73, 56, 183, 86},
                           {20, 107, 104, 64, 19, 197, 187, 157, 172, 86, 16, 27}};

TEST(Eplb, ReproducesPublishedHierarchicalVector) {
  const PlacementPlan plan = place_deepseek(kLoads, {16, 4, 2, 8});
  const std::vector<std::vector<int>> expected = {{5, 6, 5, 7, 8, 4, 3, 4, 10, 9, 10, 2, 0, 1, 11, 1},
                                                  {7, 10, 6, 8, 6, 11, 8, 9, 2, 4, 5, 1, 5, 0, 3, 1}};
  EXPECT_EQ(plan.physical_to_logical, expected);
  EXPECT_EQ(check_plan(plan, {16, 4, 2, 8}, 12), "");
}

TEST(Eplb, BalancedPackingKeepsCardinalityAndBreaksTiesByIndex) {
  // Visit order 1, 2, 0, 3 (stable among equal weights); equal packs go to the lower index.
  const Packing p = balanced_packing({3, 5, 5, 3}, 2);
  EXPECT_EQ(p.pack, (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(p.rank_in_pack, (std::vector<int>{1, 0, 0, 1}));
  const Packing identity = balanced_packing({1, 9, 4}, 3);
  EXPECT_EQ(identity.pack, (std::vector<int>{0, 1, 2}));
}

TEST(Eplb, ReplicationGivesSlotsToLargestLoadPerReplica) {
  const Replication r = replicate_experts({10, 4, 10}, 5);
  EXPECT_EQ(r.slot_to_expert, (std::vector<int>{0, 1, 2, 0, 2}));
  EXPECT_EQ(r.replica_rank, (std::vector<int>{0, 0, 0, 1, 1}));
  EXPECT_EQ(r.count, (std::vector<int>{2, 1, 2}));
}

TEST(Eplb, GlobalPolicyWhenNodesDoNotDivideGroups) {
  // 3 nodes do not divide 4 groups: replicas of the hot expert 0 may share a GPU (the known defect).
  const LoadMatrix loads = {{100, 1, 1, 1, 1, 1}};
  const PlacementSpec spec{12, 2, 3, 6};
  const PlacementPlan plan = place_deepseek(loads, spec);
  EXPECT_EQ(check_plan(plan, spec, 6), "");
  EXPECT_EQ(plan.logical_count[0][0], 7);
}

}  // namespace
}  // namespace moesim::planner
