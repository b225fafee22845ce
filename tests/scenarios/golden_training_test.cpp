// Golden training steps on tiny clusters, each checked against an answer derived by hand from the
// simulation's own inputs (stage chunk times, the all-to-all of the same routing).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "configs/training_scenario.hpp"
#include "models/cost_model.hpp"
#include "sim/all_to_all.hpp"
#include "sim/training_step.hpp"

namespace moesim {
namespace {

// V2-Lite on one HGX H800 node (8 GPUs), 8 micro-batches of one 4K sequence per pipeline.
std::string tiny(const std::string& layout, const std::string& extra = "") {
  return "kind: train\nname: tiny\nmodel: deepseek-v2-lite\ncluster: " + std::string("hgx-h800") +
         "\nschedule: 1f1b\nparallelism:\n" + layout + "batch:\n  global_sequences: " +
         (layout.find("pp: 1") != std::string::npos ? "64" : "32") + "\n  sequence_tokens: 4096\n" + extra;
}

configs::TrainingScenario parse(const std::string& yaml) {
  Result<configs::TrainingScenario> s = configs::parse_training_scenario(yaml, "golden.yaml");
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.errors()[0].message);
  return s.value();
}

double sum_breakdown(const sim::TrainingBreakdown& b) {
  return b.forward_s + b.backward_input_s + b.backward_weight_s + b.bubble_s + b.exposed_comm_s + b.optimizer_s;
}

const models::RooflineCostModel kCost;

// pp = 1, no communication: the step is m × (F + B + W) of the one stage plus the optimizer.
TEST(GoldenTrainingTest, SingleStageWithoutCommunicationIsSerialWork) {
  const configs::TrainingScenario s = parse(tiny("  pp: 1\n  dp: 8\n  ep: 8\n", "communication:\n  enabled: false\n"));
  Result<sim::TrainingResult> r = sim::simulate_training(s, kCost, {});
  ASSERT_TRUE(r.ok()) << r.errors()[0].message;
  const sim::StageCompute& st = r.value().stages[0];
  const double per_mb = st.forward_s + st.backward_input_s + st.backward_weight_s;
  EXPECT_EQ(r.value().micro_batches, 8);
  EXPECT_NEAR(r.value().pipeline_makespan_s, 8 * per_mb, 1e-12);
  EXPECT_NEAR(r.value().step_time_s, 8 * per_mb + r.value().breakdown.optimizer_s, 1e-12);
  EXPECT_NEAR(r.value().breakdown.bubble_s, 0.0, 1e-12);
  EXPECT_NEAR(sum_breakdown(r.value().breakdown), r.value().step_time_s, 1e-9);
  // Figures of merit are the textbook identities over the step.
  const double tokens = 64.0 * 4096;
  EXPECT_NEAR(r.value().tokens_per_s, tokens / r.value().step_time_s, 1e-6);
  EXPECT_NEAR(r.value().gpu_hours_per_trillion_tokens, 8 * r.value().step_time_s / 3600 * 1e12 / tokens, 1e-6);
}

// pp = 2, 1F1B, no communication: the makespan follows from the two ranks' fixed orders
// (rank 0: F1, then F(i+1) B(i) pairs, then B(m); rank 1: F(i) B(i)), replayed here by hand.
TEST(GoldenTrainingTest, TwoStageOneFOneBFollowsTheBottleneckStage) {
  const configs::TrainingScenario s = parse(tiny("  pp: 2\n  dp: 4\n  ep: 4\n", "communication:\n  enabled: false\n"));
  Result<sim::TrainingResult> r = sim::simulate_training(s, kCost, {});
  ASSERT_TRUE(r.ok()) << r.errors()[0].message;
  const auto& st = r.value().stages;
  ASSERT_EQ(st.size(), 2u);
  const double f0 = st[0].forward_s, b0 = st[0].backward_input_s + st[0].backward_weight_s;
  const double f1 = st[1].forward_s, b1 = st[1].backward_input_s + st[1].backward_weight_s;
  const int m = 8;
  std::vector<double> f0_end(m);
  double r0 = f0_end[0] = f0, r1 = 0;
  for (int i = 0; i < m; ++i) {
    r1 = std::max(r1, f0_end[i]) + f1 + b1;  // rank 1: F(i) when its input arrives, then B(i)
    if (i + 1 < m) f0_end[i + 1] = r0 += f0;  // rank 0: the next forward first
    r0 = std::max(r0, r1) + b0;               // then B(i) once rank 1's gradient is back
  }
  EXPECT_NEAR(r.value().pipeline_makespan_s, std::max(r0, r1), 1e-9);
  EXPECT_NEAR(sum_breakdown(r.value().breakdown), r.value().step_time_s, 1e-9);
}

// Communication on: with pp = 1 and no overlap each MoE layer's forward adds one dispatch and one
// combine of the same routing as a stand-alone all-to-all simulation.
TEST(GoldenTrainingTest, AllToAllInTheStepEqualsTheStandAloneCollective) {
  const configs::TrainingScenario s = parse(tiny("  pp: 1\n  dp: 8\n  ep: 8\n", "precision:\n  dispatch: fp8\n"));
  const sim::NetworkCalibration cal = sim::embedded_network_calibration("h800");
  Result<sim::TrainingResult> r = sim::simulate_training(s, kCost, cal);
  ASSERT_TRUE(r.ok()) << r.errors()[0].message;
  sim::AllToAllSpec spec;
  spec.ep = 8;
  spec.tokens_per_rank = 4096;
  Result<sim::AllToAllResult> a2a = sim::simulate_all_to_all(s.model, s.cluster, cal, spec);
  ASSERT_TRUE(a2a.ok());
  EXPECT_NEAR(r.value().comm.dispatch_forward_s, a2a.value().dispatch_s, 1e-12);
  EXPECT_NEAR(r.value().comm.combine_forward_s, a2a.value().combine_s, 1e-12);
  const sim::StageCompute& st = r.value().stages[0];
  const double comm = st.moe_layers * (r.value().comm.dispatch_forward_s + r.value().comm.combine_forward_s +
                                       r.value().comm.dispatch_backward_s + r.value().comm.combine_backward_s);
  EXPECT_NEAR(r.value().pipeline_makespan_s,
              8 * (st.forward_s + st.backward_input_s + st.backward_weight_s + comm), 1e-9);
  EXPECT_GT(r.value().comm.dp_reduce_scatter_s, 0.0);
}

// Two nodes: an EP16 group's all-to-all crosses the fabric and is slower per layer than EP8's.
TEST(GoldenTrainingTest, InternodeExpertParallelismCostsMoreThanIntranode) {
  const std::string two = "cluster: tests/scenarios/data/two-h800-nodes.yaml";
  std::string y = tiny("  pp: 1\n  dp: 16\n  ep: 16\n");
  y.replace(y.find("cluster: hgx-h800"), 17, two);
  y.replace(y.find("global_sequences: 64"), 20, "global_sequences: 128");
  const configs::TrainingScenario s16 = parse(y);
  const configs::TrainingScenario s8 = parse(tiny("  pp: 1\n  dp: 8\n  ep: 8\n"));
  const sim::NetworkCalibration cal = sim::embedded_network_calibration("h800");
  Result<sim::TrainingResult> r16 = sim::simulate_training(s16, kCost, cal);
  Result<sim::TrainingResult> r8 = sim::simulate_training(s8, kCost, cal);
  ASSERT_TRUE(r16.ok() && r8.ok());
  EXPECT_GT(r16.value().comm.dispatch_forward_s, r8.value().comm.dispatch_forward_s);
}

TEST(GoldenTrainingTest, LayoutThatDoesNotFitIsInfeasibleWithTheNumbers) {
  // V3 on one node: 671B parameters cannot fit 8 GPUs.
  std::string y = tiny("  pp: 1\n  dp: 8\n  ep: 8\n");
  y.replace(y.find("deepseek-v2-lite"), 16, "deepseek-v3");
  const configs::TrainingScenario s = parse(y);
  Result<sim::TrainingResult> r = sim::simulate_training(s, kCost, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].kind, ErrorKind::kInfeasible);
  EXPECT_NE(r.errors()[0].message.find("exceeds the 79.1 GiB of HBM on h800"), std::string::npos)
      << r.errors()[0].message;
}

}  // namespace
}  // namespace moesim
