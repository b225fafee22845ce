// Tensor parallelism in the training step (sim/training_costs.cpp, sim/training_step.cpp):
// DeepSeek-V2-Lite on one HGX H800 node, tp = 2 against tp = 1 at the same per-GPU micro-batch
// (one 4K sequence per DP rank and micro-batch), each answer checked by hand.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "configs/training_scenario.hpp"
#include "models/cost_model.hpp"
#include "models/op_graph.hpp"
#include "models/param_count.hpp"
#include "sim/training_costs.hpp"
#include "sim/training_step.hpp"

namespace moesim {
namespace {

// 8 micro-batches per pipeline at both widths: dp = 8 needs 64 sequences, dp = 4 needs 32.
std::string scenario(const std::string& model, int dp, int tp, int ep, const std::string& extra = "") {
  return "kind: train\nname: tp\nmodel: " + model + "\ncluster: hgx-h800\nschedule: 1f1b\n" +
         "parallelism: {pp: 1, dp: " + std::to_string(dp) + ", tp: " + std::to_string(tp) +
         ", ep: " + std::to_string(ep) + "}\nbatch: {global_sequences: " + std::to_string(8 * dp) +
         ", sequence_tokens: 4096}\nmemory: {hbm_check: warn}\n" + extra;
}

configs::TrainingScenario parse(const std::string& yaml) {
  Result<configs::TrainingScenario> s = configs::parse_training_scenario(yaml, "tp.yaml");
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.errors()[0].message);
  return s.value();
}

// Times only the attention block's ops (by name), linearly in FLOPs and bytes with no launch
// overhead, and keeps the last op seen under each name; every other op costs nothing.
class AttentionOnlyCost : public models::CostModel {
 public:
  explicit AttentionOnlyCost(const models::ModelSpec& m) {
    for (models::Phase p : {models::Phase::kTrainForward, models::Phase::kTrainBackwardInput, models::Phase::kTrainBackwardWeight})
      for (const models::Op& op : models::build_layer_ops(m, 0, p, {1, 4096, 4096}, {}).attention) names_.insert(op.name);
  }
  models::CostEstimate op_time(const models::Op& op, const models::GpuSpec&) const override {
    seen_[op.name] = op;
    models::CostEstimate e;
    if (names_.count(op.name) > 0) e.time_s = op.flops / 1e15 + (op.bytes_read + op.bytes_written) / 1e12;
    return e;
  }
  const models::Op& seen(const std::string& name) const { return seen_.at(name); }

 private:
  std::set<std::string> names_;
  mutable std::map<std::string, models::Op> seen_;
};

const models::RooflineCostModel kRoofline;

TEST(TrainingTpTest, TpTwoHalvesAttentionComputePerGpu) {
  const configs::TrainingScenario s1 = parse(scenario("deepseek-v2-lite", 8, 1, 8));
  const configs::TrainingScenario s2 = parse(scenario("deepseek-v2-lite", 4, 2, 8));
  const AttentionOnlyCost c1(s1.model), c2(s2.model);
  const sim::StageCompute a = sim::build_stages(s1, s1.cluster.gpu, c1, 1.0)[0];
  const sim::StageCompute b = sim::build_stages(s2, s2.cluster.gpu, c2, 1.0)[0];
  // The core by hand: 16 heads × (192 + 128) × 2 FLOPs per causal (query, key) pair, 4096·4097/2 pairs.
  const double core = 2.0 * 16 * (192 + 128) * (4096.0 * 4097 / 2);
  EXPECT_DOUBLE_EQ(c1.seen("attention.core").flops, core);
  EXPECT_DOUBLE_EQ(c2.seen("attention.core").flops, core / 2);
  EXPECT_EQ(c2.seen("attention.core").shape.heads, 8);
  // o_proj: 4096 tokens × 2048 hidden × (16 × 128) inputs, multiply-add = 2 FLOPs.
  EXPECT_DOUBLE_EQ(c2.seen("o_proj").flops, 2.0 * 4096 * 2048 * 2048 / 2);
  // Every attention op at 1/2 in a linear cost model: the stage's attention time halves exactly.
  EXPECT_GT(a.forward_s, 0.0);
  EXPECT_NEAR(b.forward_s, a.forward_s / 2, 1e-12 * a.forward_s);
  EXPECT_NEAR(b.backward_input_s, a.backward_input_s / 2, 1e-12 * a.backward_input_s);
  EXPECT_NEAR(b.backward_weight_s, a.backward_weight_s / 2, 1e-12 * a.backward_weight_s);
}

TEST(TrainingTpTest, ExpertsAreFoldedNotSplit) {
  const configs::TrainingScenario s1 = parse(scenario("deepseek-v2-lite", 8, 1, 8));
  const configs::TrainingScenario s2 = parse(scenario("deepseek-v2-lite", 4, 2, 8));
  const AttentionOnlyCost c1(s1.model), c2(s2.model);
  sim::build_stages(s1, s1.cluster.gpu, c1, 1.0);
  sim::build_stages(s2, s2.cluster.gpu, c2, 1.0);
  // 4096 tokens × top-6 rows → 2048 × 6 rows under TP 2, over the same 8 whole experts per GPU
  // (2 × 1408 wide, 2048 deep): FLOPs halve, the weights read stay.
  const models::Op& e1 = c1.seen("experts.gate_up");
  const models::Op& e2 = c2.seen("experts.gate_up");
  EXPECT_DOUBLE_EQ(e1.flops, 2.0 * 4096 * 6 * 2816 * 2048);
  EXPECT_DOUBLE_EQ(e2.flops, e1.flops / 2);
  EXPECT_EQ(e2.shape.groups, 8);
  EXPECT_EQ(e2.shape.n, 2816);
  const double weights = 8.0 * 2816 * 2048 * 2;
  EXPECT_DOUBLE_EQ(e1.bytes_read - weights, 2 * (e2.bytes_read - weights));
}

TEST(TrainingTpTest, MemoryPerGpuDropsWithTp) {
  const configs::TrainingScenario s1 = parse(scenario("deepseek-v2-lite", 8, 1, 8));
  const configs::TrainingScenario s2 = parse(scenario("deepseek-v2-lite", 4, 2, 8));
  const std::vector<sim::StageCompute> a = sim::build_stages(s1, s1.cluster.gpu, kRoofline, 1.0);
  const std::vector<sim::StageCompute> b = sim::build_stages(s2, s2.cluster.gpu, kRoofline, 1.0);
  // Split weights: attention, shared experts (2 × 3 × 2048 × 1408 each layer), the dense FFN,
  // embedding and head; norms and routers stay whole; routed experts are untouched.
  const models::ParamCount pc = models::count_params(s1.model);
  const double split = 27.0 * pc.attention_per_layer + 26.0 * 2 * pc.params_per_expert + pc.dense_ffn_per_layer +
                       pc.embedding + pc.head;
  EXPECT_DOUBLE_EQ(a[0].non_expert_params - b[0].non_expert_params, split / 2);
  EXPECT_DOUBLE_EQ(a[0].expert_params, b[0].expert_params);
  EXPECT_DOUBLE_EQ(b[0].activation_bytes, a[0].activation_bytes / 2);
  const sim::MemoryEstimate m1 = sim::estimate_memory(s1, a), m2 = sim::estimate_memory(s2, b);
  EXPECT_DOUBLE_EQ(m2.activation_bytes, m1.activation_bytes / 2);
  EXPECT_LT(m2.state_bytes, m1.state_bytes);
  EXPECT_LT(m2.total_bytes(), m1.total_bytes());
}

TEST(TrainingTpTest, TpCollectivesAreExposedAndMatchTheRingByHand) {
  const configs::TrainingScenario s = parse(scenario("deepseek-v2-lite", 4, 2, 8));
  Result<sim::TrainingResult> r = sim::simulate_training(s, kRoofline, {});
  ASSERT_TRUE(r.ok()) << r.errors()[0].message;
  const sim::TrainingResult& t = r.value();
  const sim::StageCompute& st = t.stages[0];
  // Per micro-batch and direction: 27 layers × (attention + dense FFN or shared experts) × 2,
  // + the embedding's reduce-scatter + the head's all-gather.
  EXPECT_EQ(st.tp_collectives, 27 * 4 + 2);
  // A 2-GPU ring over NVLink (uncalibrated: full 160 GB/s, no kernel latency): each GPU sends half
  // of 4096 × 2048 BF16 values to the other over one route (3.33 us).
  const double expected = 4096.0 * 2048 * 2 / 2 / 160e9 + 3.33e-6;
  EXPECT_NEAR(t.comm.tp_collective_s, expected, 1e-3 * expected);
  // pp = 1, 1F1B, no overlap: every chunk's communication is exposed.
  const sim::TrainingCommTimes& c = t.comm;
  const double per_mb = st.moe_layers * (c.dispatch_forward_s + c.combine_forward_s + c.dispatch_backward_s + c.combine_backward_s) +
                        2 * st.tp_collectives * c.tp_collective_s;
  EXPECT_NEAR(t.breakdown.exposed_comm_s, 8 * per_mb + c.dp_reduce_scatter_s + c.dp_all_gather_s, 1e-9);
  EXPECT_NEAR(t.pipeline_makespan_s, 8 * (st.forward_s + st.backward_input_s + st.backward_weight_s + per_mb), 1e-9);
}

TEST(TrainingTpTest, TpCollectivesGrowWithHiddenSize) {
  // DeepSeek-V2 (hidden 5120) against V2-Lite (hidden 2048), same layout; none at tp = 1.
  const configs::TrainingScenario lite = parse(scenario("deepseek-v2-lite", 4, 2, 8));
  const configs::TrainingScenario v2 = parse(scenario("deepseek-v2", 4, 2, 8));
  Result<sim::TrainingResult> a = sim::simulate_training(lite, kRoofline, {});
  Result<sim::TrainingResult> b = sim::simulate_training(v2, kRoofline, {});
  Result<sim::TrainingResult> none = sim::simulate_training(parse(scenario("deepseek-v2-lite", 8, 1, 8)), kRoofline, {});
  ASSERT_TRUE(a.ok() && b.ok() && none.ok());
  EXPECT_GT(a.value().comm.tp_collective_s, 0.0);
  const double bytes_ratio = 5120.0 / 2048;
  const double lat = 3.33e-6;
  EXPECT_NEAR((b.value().comm.tp_collective_s - lat) / (a.value().comm.tp_collective_s - lat), bytes_ratio, 1e-3);
  EXPECT_EQ(none.value().comm.tp_collective_s, 0.0);
  EXPECT_EQ(none.value().stages[0].tp_collectives, 0);
}

TEST(TrainingTpTest, DualPipeDoesNotHideTpCollectives) {
  const std::string dual = "schedule: dualpipe";
  std::string y = scenario("deepseek-v2-lite", 2, 2, 4);
  y.replace(y.find("schedule: 1f1b"), 14, dual);
  y.replace(y.find("pp: 1"), 5, "pp: 2");
  const configs::TrainingScenario s = parse(y);
  Result<sim::TrainingResult> r = sim::simulate_training(s, kRoofline, {});
  ASSERT_TRUE(r.ok()) << r.errors()[0].message;
  const sim::TrainingResult& t = r.value();
  // Every forward and backward chunk of every micro-batch pays its TP collectives outside the
  // all-to-all overlap: at least that much is exposed (per rank, averaged).
  double tp = 0;
  for (const sim::StageCompute& st : t.stages) tp += 2 * st.tp_collectives * t.comm.tp_collective_s;
  EXPECT_GT(tp, 0.0);
  EXPECT_GE(t.breakdown.exposed_comm_s, t.micro_batches * tp / 2 * (1 - 1e-9));
}

}  // namespace
}  // namespace moesim
