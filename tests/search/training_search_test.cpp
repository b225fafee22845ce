// The training space and its analytical model.
#include <gtest/gtest.h>

#include "planner/search/training_search.hpp"
#include "test_util.hpp"

namespace moesim::planner::search {
namespace {

TEST(TrainingSpace, LayoutsMultiplyToTheGpuCountAndRespectDualPipe) {
  const configs::PlanSpec plan = test::load_plan("small_training.yaml");
  const auto cands = enumerate_training(plan);
  ASSERT_FALSE(cands.empty());
  for (const auto& c : cands) {
    EXPECT_EQ(c.pp * c.dp * c.tp, c.nodes * 8);
    EXPECT_EQ((c.dp * c.tp) % c.ep, 0);
    if (c.schedule == configs::TrainingSchedule::kDualPipe) {
      EXPECT_EQ(c.pp % 2, 0);
    }
  }
}

TEST(TrainingModel, DualPipeHidesCommunicationThat1F1BExposes) {
  const configs::PlanSpec plan = test::load_plan("small_training.yaml");
  const models::RooflineCostModel cost;
  const TrainingModel model(plan, cost);
  TrainingCandidate c{0, 256, 16, 64, 1, 128, configs::TrainingSchedule::k1F1B, 1, 2, models::DType::kFp8};
  const TrainingEstimate one = model.evaluate(c);
  c.schedule = configs::TrainingSchedule::kDualPipe;
  const TrainingEstimate dual = model.evaluate(c);
  EXPECT_GT(one.comm_exposed_s, dual.comm_exposed_s);
  EXPECT_GT(one.bubble_s, dual.bubble_s);
  EXPECT_LT(dual.step_s, one.step_s);
  EXPECT_GT(dual.mfu, 0.05);
  EXPECT_LT(dual.mfu, 1.0);
}

TEST(TrainingSearch, FindsFeasibleLayoutsRankedByTime) {
  const configs::PlanSpec plan = test::load_plan("small_training.yaml");
  const models::RooflineCostModel cost;
  Result<TrainingPlanResult> r = search_training(plan, cost, ShardContext{});
  ASSERT_TRUE(r.ok()) << r.errors().front().message;
  const auto& rows = r.value().ranked;
  ASSERT_FALSE(rows.empty());
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_LE(rows[i - 1].estimate.time_to_train_s, rows[i].estimate.time_to_train_s);
  for (const auto& row : rows) EXPECT_LE(row.estimate.hbm_used_bytes, row.estimate.hbm_usable_bytes);
}

TEST(TrainingSearch, ImpossibleDeadlineBinds) {
  configs::PlanSpec plan = test::load_plan("small_training.yaml");
  plan.training.deadline_s = 86400;
  const models::RooflineCostModel cost;
  Result<TrainingPlanResult> r = search_training(plan, cost, ShardContext{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().front().kind, ErrorKind::kInfeasible);
  EXPECT_NE(r.errors().front().message.find("training.deadline_days binds"), std::string::npos);
}

}  // namespace
}  // namespace moesim::planner::search
