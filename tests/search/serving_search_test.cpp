// The serving space, the analytical instance model and the deployment search.
#include <gtest/gtest.h>

#include <set>

#include "planner/search/serving_search.hpp"
#include "test_util.hpp"

namespace moesim::planner::search {
namespace {

using test::load_plan;

InstanceCandidate decode(int nodes, int batch, models::DType w = models::DType::kFp8) {
  InstanceCandidate c;
  c.role = InstanceRole::kDecode;
  c.weight_dtype = w;
  c.nodes = nodes;
  c.batch = batch;
  return c;
}

TEST(ServingSpace, EveryCandidateValidAndKeysUnique) {
  const configs::PlanSpec plan = load_plan("small_serving.yaml");
  const auto cands = enumerate_serving(plan);
  ASSERT_FALSE(cands.empty());
  std::set<std::string> keys;
  for (const auto& c : cands) {
    EXPECT_EQ(invalid_reason(c, plan), "");
    EXPECT_EQ((plan.model.moe.num_routed_experts + c.redundant_experts) % instance_gpus(c, plan), 0);
    keys.insert(canonical_key(c, plan));
  }
  EXPECT_EQ(keys.size(), cands.size());
}

TEST(ServingSpace, PrunesInvalidEpAndUnsupportedFormats) {
  const configs::PlanSpec plan = load_plan("small_serving.yaml");
  InstanceCandidate c = decode(9, 64);  // 72 GPUs do not divide 256 experts
  EXPECT_NE(invalid_reason(c, plan), "");
  c = decode(4, 64, models::DType::kFp4);  // H800 has no fp4 tensor cores
  EXPECT_NE(invalid_reason(c, plan), "");
}

TEST(ServingModel, LargerBatchUsesMoreMemoryAndRaisesTpotAndThroughput) {
  const configs::PlanSpec plan = load_plan("small_serving.yaml");
  const models::RooflineCostModel cost;
  const ServingModel model(plan, cost);
  const InstanceEstimate small = model.evaluate(decode(4, 32)), large = model.evaluate(decode(4, 64));
  EXPECT_LT(small.hbm_used_bytes, large.hbm_used_bytes);
  EXPECT_LT(small.latency_s, large.latency_s);
  EXPECT_LT(small.capacity_tokens_per_s, large.capacity_tokens_per_s);
  EXPECT_GT(small.comm_s, 0);
}

TEST(ServingModel, Fp8WeightsHalveExpertMemoryAndMoreGpusHoldFewerExperts) {
  const configs::PlanSpec plan = load_plan("small_serving.yaml");
  const models::RooflineCostModel cost;
  const ServingModel model(plan, cost);
  const double bf16 = model.evaluate(decode(4, 32, models::DType::kBf16)).weight_bytes_per_gpu;
  const double fp8 = model.evaluate(decode(4, 32)).weight_bytes_per_gpu;
  EXPECT_NEAR(fp8 / bf16, 0.5, 0.05);
  EXPECT_LT(model.evaluate(decode(8, 32)).weight_bytes_per_gpu, fp8);
}

TEST(ServingModel, OversizedBatchIsInfeasibleByHbm) {
  const configs::PlanSpec plan = load_plan("small_serving.yaml");
  const models::RooflineCostModel cost;
  const InstanceEstimate e = ServingModel(plan, cost).evaluate(decode(4, 4096));
  EXPECT_FALSE(e.feasible);
  EXPECT_EQ(e.binding, Binding::kHbm);
}

TEST(ServingModel, RedundantExpertsReduceImbalance) {
  configs::PlanSpec plan = load_plan("small_serving.yaml");
  plan.serving.expert_zipf_exponent = 1.0;
  const models::RooflineCostModel cost;
  const ServingModel model(plan, cost);
  EXPECT_GT(model.imbalance(32, 4, 0), 1.05);
  EXPECT_LT(model.imbalance(32, 4, 32), model.imbalance(32, 4, 0));
}

TEST(ServingModel, PackRoundTrips) {
  InstanceEstimate e;
  e.feasible = true;
  e.binding = Binding::kTtft;
  e.latency_s = 1.25;
  e.expert_imbalance = 1.1;
  const std::vector<double> p = pack(e);
  ASSERT_EQ(p.size(), static_cast<size_t>(kEstimateFields));
  const InstanceEstimate u = unpack(p.data());
  EXPECT_TRUE(u.feasible);
  EXPECT_EQ(u.binding, Binding::kTtft);
  EXPECT_DOUBLE_EQ(u.latency_s, 1.25);
  EXPECT_DOUBLE_EQ(u.expert_imbalance, 1.1);
}

TEST(ServingLoad, DerivedLengthsReproduceT2Ratios) {
  const configs::PlanSpec plan = load_plan("small_serving.yaml");
  const ServingLoad l = derive_load(plan.serving);
  EXPECT_NEAR(l.mean_input_tokens / l.mean_output_tokens, 608.0 / 168.0, 1e-9);
  // Mean KV length per output token: E[in] + (1 + cv^2) / 2 x E[out] for lognormal lengths.
  EXPECT_NEAR(l.mean_input_tokens + (1 + kPlanLengthCv * kPlanLengthCv) / 2 * l.mean_output_tokens, 4989, 1e-6);
  EXPECT_NEAR(l.output_tokens_per_s, 168e9 / 86400, 1);
}

TEST(ServingSearch, RanksByCostMarksParetoAndMeetsSlo) {
  const configs::PlanSpec plan = load_plan("small_serving.yaml");
  const models::RooflineCostModel cost;
  Result<ServingPlanResult> r = search_serving(plan, cost, ShardContext{});
  ASSERT_TRUE(r.ok()) << r.errors().front().message;
  const auto& ranked = r.value().ranked;
  ASSERT_FALSE(ranked.empty());
  EXPECT_TRUE(ranked.front().pareto);  // the cheapest is never dominated
  for (size_t i = 1; i < ranked.size(); ++i) EXPECT_LE(ranked[i - 1].usd_per_m_output_tokens, ranked[i].usd_per_m_output_tokens);
  for (const auto& d : ranked) {
    EXPECT_LE(d.decode_est.latency_s, plan.serving.slo.tpot_s);
    EXPECT_LE(d.prefill_est.latency_s, plan.serving.slo.ttft_s);
    // The fleet carries the load at the target utilisation.
    EXPECT_GE(d.decode_instances * d.decode_est.capacity_tokens_per_s * plan.assumptions.target_utilization,
              r.value().load.output_tokens_per_s * (1 - 1e-9));
    EXPECT_FALSE(d.why.empty());
  }
  EXPECT_EQ(r.value().stats.instance_candidates, enumerate_serving(plan).size());
}

TEST(ServingSearch, TightTpotIsInfeasibleNamingTheConstraint) {
  configs::PlanSpec plan = load_plan("small_serving.yaml");
  plan.serving.slo.tpot_s = 0.002;
  const models::RooflineCostModel cost;
  Result<ServingPlanResult> r = search_serving(plan, cost, ShardContext{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().front().kind, ErrorKind::kInfeasible);
  EXPECT_NE(r.errors().front().message.find("serving.slo.tpot binds"), std::string::npos);
}

TEST(ServingSearch, GpuBudgetBinds) {
  configs::PlanSpec plan = load_plan("small_serving.yaml");
  plan.serving.max_gpus = 16;
  const models::RooflineCostModel cost;
  Result<ServingPlanResult> r = search_serving(plan, cost, ShardContext{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().front().message.find("serving.max_gpus binds"), std::string::npos);
}

TEST(Pareto, FrontKeepsOnlyNonDominated) {
  const auto f = pareto_front({{1, 5}, {2, 2}, {3, 3}, {5, 1}, {2, 2}});
  EXPECT_EQ(f, (std::vector<bool>{true, true, false, true, true}));
}

}  // namespace
}  // namespace moesim::planner::search
