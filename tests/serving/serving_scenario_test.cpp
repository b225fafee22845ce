#include "configs/serving_scenario.hpp"

#include <gtest/gtest.h>

#include "serving_test_util.hpp"

namespace moesim::configs {
namespace {

using sim::serving::testing::edit;
using sim::serving::testing::t2_yaml;

std::string first_error(const Result<ServingScenarioSpec>& r) { return r.ok() ? "" : r.errors().front().message; }

TEST(ServingScenario, T2LoadsWithItsDeployment) {
  Result<ServingScenarioSpec> r = load_serving_scenario("deepseek-v3-serving-h800");
  ASSERT_TRUE(r.ok()) << first_error(r);
  const ServingScenarioSpec& s = r.value();
  EXPECT_TRUE(s.disaggregated);
  EXPECT_EQ(s.prefill.ep, 32);
  EXPECT_EQ(s.decode.ep, 144);
  EXPECT_EQ(s.decode.cluster.nodes, 18);
  EXPECT_EQ(s.prefill.cluster.nodes, 4);
  EXPECT_EQ(s.mtp.draft_tokens, 1);
  EXPECT_DOUBLE_EQ(s.workload.prefix_cache_hit_rate, 0.563);
  EXPECT_DOUBLE_EQ(s.slo.tpot_s, 0.0476);
  EXPECT_EQ(s.kv_cache_dtype, models::DType::kFp8);
}

TEST(ServingScenario, Ep320Loads) {
  Result<ServingScenarioSpec> r = load_serving_scenario("deepseek-v3-serving-h800-ep320");
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(r.value().decode.ep, 320);
  EXPECT_EQ(r.value().decode.attention, AttentionParallel::kTp);
}

TEST(ServingScenario, EpNotDividingExpertsIsBadInput) {
  const std::string y = edit(t2_yaml(), "redundant_experts: 32  # 2 routed", "redundant_experts: 30  # 2 routed");
  Result<ServingScenarioSpec> r = parse_serving_scenario(y, "s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().front().kind, ErrorKind::kBadInput);
  EXPECT_NE(first_error(r).find("decode.ep: ep=144 does not divide 286 physical experts (256 routed + 30 redundant)"),
            std::string::npos) << first_error(r);
}

TEST(ServingScenario, EpNotMatchingInstanceIsBadInput) {
  const std::string y = edit(t2_yaml(), "  ep: 32\n", "  ep: 16\n");
  EXPECT_NE(first_error(parse_serving_scenario(y, "s.yaml")).find("prefill.ep: ep=16 must equal the instance's 32 GPUs"),
            std::string::npos);
}

TEST(ServingScenario, UnknownKeySuggestsNearest) {
  const std::string y = edit(t2_yaml(), "  micro_batches: 2\n", "  micro_batchs: 2\n");
  const std::string e = first_error(parse_serving_scenario(y, "s.yaml"));
  EXPECT_NE(e.find("micro_batchs"), std::string::npos) << e;
  EXPECT_NE(e.find("micro_batches"), std::string::npos) << e;
}

TEST(ServingScenario, UnknownClusterNamed) {
  const std::string y = edit(t2_yaml(), "cluster: deepseek-h800-prefill-unit", "cluster: no-such-cluster");
  EXPECT_NE(first_error(parse_serving_scenario(y, "s.yaml")).find("prefill.cluster: cannot load cluster 'no-such-cluster'"),
            std::string::npos);
}

TEST(ServingScenario, BadDtypeNamed) {
  const std::string y = edit(t2_yaml(), "  gemm: fp8", "  gemm: fp7");
  EXPECT_NE(first_error(parse_serving_scenario(y, "s.yaml")).find("precision.gemm: found \"fp7\""), std::string::npos);
}

TEST(ServingScenario, CacheHitRateMustBeFraction) {
  const std::string y = edit(t2_yaml(), "prefix_cache_hit_rate: 0.563", "prefix_cache_hit_rate: 1.5");
  EXPECT_NE(first_error(parse_serving_scenario(y, "s.yaml")).find("expected a fraction in [0, 1)"), std::string::npos);
}

TEST(ServingScenario, TraceArrivalNeedsFile) {
  const std::string y = edit(t2_yaml(), "arrival: poisson", "arrival: trace");
  EXPECT_NE(first_error(parse_serving_scenario(y, "s.yaml")).find("arrival is 'trace' but no trace file"), std::string::npos);
}

TEST(ServingScenario, ThreeMicroBatchesRejected) {
  const std::string y = edit(t2_yaml(), "  micro_batches: 2\n", "  micro_batches: 3\n");
  EXPECT_NE(first_error(parse_serving_scenario(y, "s.yaml")).find("expected 1 or 2"), std::string::npos);
}

TEST(ServingScenario, MtpNeedsAModelWithMtp) {
  const std::string y = edit(t2_yaml(), "model: deepseek-v3", "model: deepseek-v2-lite");
  EXPECT_NE(first_error(parse_serving_scenario(y, "s.yaml")).find("draft_tokens=1 but model deepseek-v2-lite has no multi-token-prediction module"),
            std::string::npos);
}

}  // namespace
}  // namespace moesim::configs
