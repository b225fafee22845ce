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

// A 4-layer DeepSeek-V3-like model (1 dense + 3 MoE layers with a shared expert, one MTP module)
// on one 8-GPU node, PP 1: tp = 2 pays, per micro-batch and direction, 4 × 4 layer collectives +
// embedding + head + MTP (3 + 4) = 25 rings of tokens × hidden × 2 bytes, as `simulate train` counts.
TEST(TrainingModel, TensorParallelCollectivesAreExposed) {
  configs::PlanSpec plan = test::load_plan("small_training.yaml");
  plan.model.num_layers = 4;
  plan.model.moe.leading_dense_layers = 1;
  plan.model.moe.num_routed_experts = 16;
  plan.model.moe.num_shared_experts = 1;
  plan.model.mtp_modules = 1;
  plan.model.hidden_size = 1024;
  plan.training.global_batch_sequences = 64;
  plan.training.sequence_tokens = 4096;
  const models::RooflineCostModel cost;
  const TrainingCandidate tp1{0, 1, 1, 8, 1, 8, configs::TrainingSchedule::k1F1B, 1, 0, models::DType::kBf16};
  TrainingCandidate tp2 = tp1;
  tp2.tp = 2;
  tp2.dp = 4;
  const models::ClusterSpec& node = plan.gpus[0].node;
  auto hand = [&](double hidden) {
    const double ring = 0.5 * 4096 * hidden * 2 / models::scale_up_bw_one_way(node) + 1 * node.scale_up.latency_s;
    return 16.0 /* micro-batches: 64 / dp 4 */ * 2 /* F + B */ * 25 * ring;
  };
  const TrainingEstimate one = TrainingModel(plan, cost).evaluate(tp1);
  const TrainingEstimate two = TrainingModel(plan, cost).evaluate(tp2);
  ASSERT_NE(one.binding, 1);
  ASSERT_NE(two.binding, 1);
  EXPECT_EQ(one.tp_comm_s, 0.0);
  EXPECT_NEAR(two.tp_comm_s, hand(1024), 1e-9 * hand(1024));
  EXPECT_GT(two.tp_comm_s, 0.0);
  EXPECT_GE(two.comm_exposed_s, two.tp_comm_s);
  EXPECT_NEAR(two.step_s, two.compute_s + two.bubble_s + two.comm_exposed_s, 1e-12 * two.step_s);
  // DualPipe hides the all-to-all, not the TP collectives.
  plan.training.global_batch_sequences = 128;
  TrainingCandidate dual = tp2;
  dual.pp = 2;
  dual.dp = 2;
  dual.schedule = configs::TrainingSchedule::kDualPipe;
  const TrainingEstimate d = TrainingModel(plan, cost).evaluate(dual);
  ASSERT_NE(d.binding, 1);
  // The slowest stage is the last (the head and MTP sit there, on one MoE layer): 64 micro-batches
  // × 2 directions × (4 for its layer + 1 for the head + 3 + 4 for the MTP module) rings.
  EXPECT_NEAR(d.tp_comm_s, hand(1024) / (16 * 2 * 25) * 64 * 2 * 12, 1e-9 * d.tp_comm_s);
  EXPECT_GE(d.comm_exposed_s, d.tp_comm_s);
  // Twice the hidden size: twice the bytes per ring (the latency stays): almost twice the time.
  plan.training.global_batch_sequences = 64;
  plan.model.hidden_size = 2048;
  const TrainingEstimate wide = TrainingModel(plan, cost).evaluate(tp2);
  ASSERT_NE(wide.binding, 1);
  EXPECT_NEAR(wide.tp_comm_s, hand(2048), 1e-9 * hand(2048));
  EXPECT_GT(wide.tp_comm_s, 1.8 * two.tp_comm_s);
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
