#include "sim/serving/serving_sim.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

#include "serving_test_util.hpp"
#include "configs/serving_scenario.hpp"

namespace moesim::sim::serving {
namespace {

using testing::edit;
using testing::t2_yaml;

configs::ServingScenarioSpec scenario(const std::string& yaml, int64_t requests) {
  Result<configs::ServingScenarioSpec> r = configs::parse_serving_scenario(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.errors().front().message);
  configs::ServingScenarioSpec s = r.ok() ? r.value() : configs::ServingScenarioSpec{};
  s.workload.requests = requests;
  return s;
}

// One T2 run shared by the invariant tests (each run forks two SimGrid children).
class T2Run : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const models::RooflineCostModel cost;
    Result<ServingResult> r = simulate_serving(scenario(t2_yaml(), 4000), cost);
    ASSERT_TRUE(r.ok()) << r.errors().front().message;
    result_ = std::make_unique<ServingResult>(r.value());
  }
  static std::unique_ptr<ServingResult> result_;
};
std::unique_ptr<ServingResult> T2Run::result_;

TEST_F(T2Run, NoRequestLostOrServedTwice) {
  const ServingResult& r = *result_;
  EXPECT_EQ(r.requests, 4000);
  EXPECT_EQ(r.completed, r.requests);
  for (const RequestOutcome& o : r.outcomes) {
    ASSERT_EQ(o.tokens_emitted, o.output_tokens);  // every token exactly once
    ASSERT_GE(o.first_token_s, o.arrival_s);
    ASSERT_GE(o.finish_s, o.first_token_s);
  }
}

TEST_F(T2Run, KvCapacityNeverExceeded) {
  EXPECT_GT(result_->kv_utilization_peak, 0.0);
  EXPECT_LE(result_->kv_utilization_peak, 1.0);
  EXPECT_LE(result_->kv_utilization_mean, result_->kv_utilization_peak);
}

TEST_F(T2Run, OperatingPointIsSane) {
  const ServingResult& r = *result_;
  std::printf("T2: prefill %.0f tok/s/node, decode %.0f tok/s/node, TPOT mean %.1f ms p50 %.1f ms, TTFT p50 %.2f s, "
              "rate %.1f req/s, prefill x%lld, decode limit %lld/GPU, batch %.1f/GPU, KV len %.0f, util %.2f/%.2f\n",
              r.prefill_input_tokens_per_s_per_node, r.decode_output_tokens_per_s_per_node, r.tpot_s.mean * 1e3,
              r.tpot_s.p50 * 1e3, r.ttft_s.p50, r.arrival_rate_per_s, static_cast<long long>(r.prefill_instances),
              static_cast<long long>(r.decode_max_requests_per_gpu), r.mean_decode_batch_per_gpu,
              r.mean_decode_context_tokens, r.prefill_utilization, r.decode_utilization);
  for (const StepBreakdown* b : {&r.prefill_full_step, &r.decode_limit_step})
    std::printf("  step %.2f ms: per MoE layer attn %.3f ffn %.3f comm %.3f -> %.3f ms; dense %.2f head %.2f mtp %.2f exposed %.3f\n",
                b->total_s * 1e3, b->attention_per_moe_layer_s * 1e3, b->ffn_per_moe_layer_s * 1e3,
                b->comm_per_moe_layer_s * 1e3, b->moe_layer_s * 1e3, b->dense_layers_s * 1e3, b->head_s * 1e3,
                b->mtp_s * 1e3, b->exposed_dispatch_s * 1e3);
  EXPECT_GT(r.prefill_input_tokens_per_s_per_node, 0);
  EXPECT_GT(r.decode_output_tokens_per_s_per_node, 0);
  EXPECT_LE(r.tpot_s.p50, 0.05 * 1.1);  // the decode limit was chosen for the 50 ms SLO
  EXPECT_LE(r.goodput_rps, r.throughput_rps + 1e-9);
  EXPECT_GT(r.cost_per_mtoken_input_usd, 0);
  EXPECT_GT(r.cost_per_mtoken_output_usd, r.cost_per_mtoken_input_usd);
}


using testing::light_yaml;

Result<ServingResult> run(const std::string& yaml, int64_t requests) {
  const models::RooflineCostModel cost;
  return simulate_serving(scenario(yaml, requests), cost);
}

TEST(ServingSim, LittlesLawHoldsInSteadyState) {
  Result<ServingResult> r = run(light_yaml(), 6000);
  ASSERT_TRUE(r.ok()) << r.errors().front().message;
  const double lambda = static_cast<double>(r.value().measured) / r.value().window_s;
  const double w = r.value().e2e_s.mean;
  EXPECT_GT(r.value().window_s, 10 * w);  // really a steady-state window
  EXPECT_NEAR(r.value().little_mean_in_system, lambda * w, 0.03 * lambda * w);
  EXPECT_EQ(r.value().completed, 6000);
}

TEST(ServingSim, DeterministicUnderASeed) {
  Result<ServingResult> a = run(light_yaml(), 1500), b = run(light_yaml(), 1500);
  Result<ServingResult> c = run(edit(light_yaml(), "seed: 1", "seed: 2"), 1500);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_EQ(a.value().outcomes.size(), b.value().outcomes.size());
  for (size_t i = 0; i < a.value().outcomes.size(); ++i) {
    ASSERT_EQ(a.value().outcomes[i].finish_s, b.value().outcomes[i].finish_s) << i;
    ASSERT_EQ(a.value().outcomes[i].first_token_s, b.value().outcomes[i].first_token_s) << i;
  }
  EXPECT_EQ(a.value().tpot_s.p99, b.value().tpot_s.p99);
  EXPECT_NE(a.value().outcomes[10].finish_s, c.value().outcomes[10].finish_s);
}

TEST(ServingSim, ColocatedServesEveryRequest) {
  Result<ServingResult> r = run(edit(light_yaml("10"), "mode: disaggregated", "mode: colocated"), 1000);
  ASSERT_TRUE(r.ok()) << r.errors().front().message;
  EXPECT_EQ(r.value().completed, 1000);
  EXPECT_EQ(r.value().prefill_instances, 0);
  EXPECT_GT(r.value().prefill_input_tokens_per_s_per_node, 0);
  for (const RequestOutcome& o : r.value().outcomes) ASSERT_EQ(o.tokens_emitted, o.output_tokens);
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + std::to_string(getpid()) + "_" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ServingSim, TraceReplayServesTheTrace) {
  std::string csv = "arrival_s,input_tokens,output_tokens,cached_tokens\n";
  for (int i = 0; i < 300; ++i) csv += std::to_string(i * 0.01) + "," + std::to_string(500 + i) + ",20,100\n";
  const std::string path = write_temp("serving_trace.csv", csv);
  Result<ServingResult> r = run(edit(t2_yaml(), "arrival: poisson", "arrival: trace\n  trace: " + path), 0);
  ASSERT_TRUE(r.ok()) << r.errors().front().message;
  EXPECT_EQ(r.value().requests, 300);
  EXPECT_EQ(r.value().completed, 300);
  EXPECT_DOUBLE_EQ(r.value().outcomes[299].arrival_s, 2.99);
}

TEST(ServingSim, MalformedTraceIsOneBadInputLine) {
  const std::string path = write_temp("bad_trace.csv", "arrival_s,input_tokens,output_tokens\n0,12,x\n");
  Result<ServingResult> r = run(edit(t2_yaml(), "arrival: poisson", "arrival: trace\n  trace: " + path), 0);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors().size(), 1u);
  EXPECT_EQ(r.errors().front().kind, ErrorKind::kBadInput);
  EXPECT_EQ(r.errors().front().message, path + ":2: output_tokens is 'x', expected a number");
}

TEST(ServingSim, RequestLargerThanKvCacheIsInfeasible) {
  const std::string path = write_temp("huge_trace.csv", "arrival_s,input_tokens,output_tokens\n0,100,10\n1,5000000,10\n");
  Result<ServingResult> r = run(edit(t2_yaml(), "arrival: poisson", "arrival: trace\n  trace: " + path), 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().front().kind, ErrorKind::kInfeasible);
  EXPECT_NE(r.errors().front().message.find("request 1 needs 5000010 KV tokens"), std::string::npos)
      << r.errors().front().message;
  EXPECT_NE(r.errors().front().message.find("limit: KV-cache capacity"), std::string::npos);
}

TEST(ServingSim, ModelNotFittingIsInfeasibleNamingTheLimit) {
  std::string y = edit(t2_yaml(), "cluster: deepseek-h800-decode-unit", "cluster: hgx-h800");
  y = edit(y, "  ep: 144", "  ep: 8");
  y = edit(y, "redundant_experts: 32  # 2 routed", "redundant_experts: 0  # 2 routed");
  Result<ServingResult> r = run(y, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().front().kind, ErrorKind::kInfeasible);
  const std::string& m = r.errors().front().message;
  EXPECT_NE(m.find("decode instance (hgx-h800): model does not fit: weights"), std::string::npos) << m;
  EXPECT_NE(m.find("(limit: HBM capacity)"), std::string::npos) << m;
}

TEST(ServingSim, ChromeTraceHasOneSlicePerIteration) {
  const models::RooflineCostModel cost;
  ServingOptions opt;
  opt.record_iterations = true;
  Result<ServingResult> r = simulate_serving(scenario(light_yaml(), 300), cost, opt);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r.value().iterations.empty());
  const std::string trace = iterations_chrome_trace(r.value());
  EXPECT_NE(trace.find("\"traceEvents\""), std::string::npos);
  EXPECT_NE(trace.find("\"name\":\"decode\""), std::string::npos);
  EXPECT_NE(trace.find("\"name\":\"prefill\""), std::string::npos);
}

}  // namespace
}  // namespace moesim::sim::serving
