// Parsing plan files: the embedded default, lists, defaults, and one test per validation message.
#include <gtest/gtest.h>

#include "configs/plan_spec.hpp"
#include "test_util.hpp"

namespace moesim::configs {
namespace {

const char* kHead = "name: t\nkind: serving\nmodel: deepseek-v3\ngpus: [h800]\n";
const char* kLoad = "serving:\n  load: {input_tokens_per_day: 608e9, output_tokens_per_day: 168e9}\n";

std::string only_error(const std::string& text) {
  Result<PlanSpec> p = parse_plan_spec(text, "t.yaml");
  if (p.ok()) return "(parsed)";
  EXPECT_EQ(p.errors().size(), 1u) << p.errors().front().message;
  EXPECT_EQ(p.errors().front().kind, ErrorKind::kBadInput);
  return p.errors().front().message;
}

TEST(PlanSpec, EmbeddedDefaultLoadsT2LoadAndFiveGpus) {
  Result<PlanSpec> p = load_plan_spec("plan-deepseek-v3-serving");
  ASSERT_TRUE(p.ok()) << p.errors().front().message;
  EXPECT_EQ(p.value().kind, PlanKind::kServing);
  EXPECT_EQ(p.value().gpus.size(), 5u);
  EXPECT_DOUBLE_EQ(p.value().serving.load.input_tokens_per_day, 608e9);
  EXPECT_DOUBLE_EQ(p.value().serving.load.prefix_cache_hit_rate, 0.563);
  EXPECT_DOUBLE_EQ(p.value().serving.slo.tpot_s, 0.05);
  EXPECT_DOUBLE_EQ(p.value().gpus[0].price_usd_per_gpu_hour, 2.0);  // catalog price
}

TEST(PlanSpec, ScalarActsAsOneElementListAndDuplicatesCollapse) {
  Result<PlanSpec> p = parse_plan_spec(std::string(kHead) + kLoad + "  space: {decode_nodes: 18, attention_tp: [1, 1, 4]}\n", "t.yaml");
  ASSERT_TRUE(p.ok()) << p.errors().front().message;
  EXPECT_EQ(p.value().serving.space.decode_nodes, std::vector<int64_t>{18});
  EXPECT_EQ(p.value().serving.space.attention_tp, (std::vector<int64_t>{1, 4}));
}

TEST(PlanSpec, GpuWithoutClusterGetsAnEightGpuNodeAndPriceOverride) {
  Result<PlanSpec> p = parse_plan_spec(
      "name: t\nkind: serving\nmodel: deepseek-v3\ngpus: [{name: h20, price_usd_per_gpu_hour: 0.9}]\n" + std::string(kLoad), "t.yaml");
  ASSERT_TRUE(p.ok()) << p.errors().front().message;
  EXPECT_EQ(p.value().gpus[0].node.gpus_per_node, 8);
  EXPECT_DOUBLE_EQ(p.value().gpus[0].price_usd_per_gpu_hour, 0.9);
  EXPECT_GT(models::scale_up_bw_one_way(p.value().gpus[0].node), 0);
}

TEST(PlanSpec, UnknownSpaceKeySuggestsNearest) {
  EXPECT_NE(only_error(std::string(kHead) + kLoad + "  space: {decode_node: [1]}\n").find("did you mean \"decode_nodes\""),
            std::string::npos);
}

TEST(PlanSpec, BadDtypeInListNamesIndex) {
  const std::string e = only_error(std::string(kHead) + kLoad + "  space: {kv_cache_dtype: [fp8, fp9]}\n");
  EXPECT_NE(e.find("serving.space.kv_cache_dtype[1]: found \"fp9\""), std::string::npos) << e;
}

TEST(PlanSpec, NonPositiveNodeCountRejected) {
  EXPECT_NE(only_error(std::string(kHead) + kLoad + "  space: {prefill_nodes: [0]}\n").find("expected a positive integer"),
            std::string::npos);
}

TEST(PlanSpec, TooFewSimulatedRequestsRejectedButZeroMeansAuto) {
  const std::string e = only_error(std::string(kHead) + kLoad + "  simulated_requests: 5\n");
  EXPECT_NE(e.find("serving.simulated_requests"), std::string::npos) << e;
  EXPECT_NE(e.find("expected 0 (auto) or at least 10 requests"), std::string::npos) << e;
  EXPECT_EQ(only_error(std::string(kHead) + kLoad + "  simulated_requests: 0\n"), "(parsed)");
}

TEST(PlanSpec, MissingLoadIsAnError) {
  EXPECT_NE(only_error(std::string(kHead) + "serving: {}\n").find("serving.load"), std::string::npos);
}

TEST(PlanSpec, MissingGpusIsAnError) {
  EXPECT_NE(only_error(std::string("name: t\nkind: serving\nmodel: deepseek-v3\n") + kLoad).find("gpus: missing or empty"),
            std::string::npos);
}

TEST(PlanSpec, ClusterWithAnotherGpuIsAnError) {
  EXPECT_NE(only_error("name: t\nkind: serving\nmodel: deepseek-v3\ngpus: [{name: h200, cluster: hgx-h800}]\n" + std::string(kLoad))
                .find("expected 'h200'"),
            std::string::npos);
}

TEST(PlanSpec, TrainingNeedsTokensWhenModelHasNone) {
  Result<PlanSpec> p = parse_plan_spec("name: t\nkind: training\nmodel: deepseek-v3\ngpus: [h800]\ntraining: {}\n", "t.yaml");
  ASSERT_TRUE(p.ok());  // deepseek-v3 publishes its pretraining tokens
  EXPECT_GT(p.value().training.tokens, 1e12);
}

TEST(PlanSpec, ObjectiveMustSuitTheKind) {
  EXPECT_NE(only_error("name: t\nkind: training\nmodel: deepseek-v3\nobjective: gpus\ngpus: [h800]\ntraining: {}\n")
                .find("expected one of: time, cost, mfu"),
            std::string::npos);
}

TEST(PlanSpec, ExamplePlansParse) {
  for (const char* f : {"small_serving.yaml", "small_training.yaml"}) {
    Result<PlanSpec> p = load_plan_spec(moesim::planner::search::test::data_path(f));
    EXPECT_TRUE(p.ok()) << f << ": " << (p.ok() ? "" : p.errors().front().message);
  }
}

}  // namespace
}  // namespace moesim::configs
