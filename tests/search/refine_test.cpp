// Refinement by simulation, with a fake simulator standing in for the child process.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <utility>
#include <filesystem>

#include "planner/search/refine.hpp"
#include "test_util.hpp"

namespace moesim::planner::search {
namespace {

// Prints what `moesim simulate serve --json` would: TPOT misses the SLO at batch 128.
class FakeSimulator : public ScenarioRunner {
 public:
  SimulationRun run(const ScenarioFiles& s) const override {
    ++calls;
    const bool slow = s.scenario_yaml.find("max_requests_per_gpu: 128") != std::string::npos;
    SimulationRun r;
    r.exit_code = 0;
    r.json = std::string(R"({"ttft_s": {"p90": 1.0}, "tpot_s": {"p90": )") + (slow ? "0.06" : "0.03") + "}}";
    return r;
  }
  mutable std::atomic<int> calls{0};
};

ServingPlanResult small_result(const configs::PlanSpec& plan) {
  const models::RooflineCostModel cost;
  Result<ServingPlanResult> r = search_serving(plan, cost, ShardContext{});
  if (!r.ok()) throw std::runtime_error(r.errors().front().message);
  return r.value();
}

TEST(Refine, ScenarioNamesTheDeploymentsShapeAndRate) {
  const configs::PlanSpec plan = test::load_plan("small_serving.yaml");
  const ServingPlanResult r = small_result(plan);
  const ScenarioFiles f = serving_scenario_for(plan, r.ranked.front(), r.load);
  EXPECT_NE(f.scenario_yaml.find("max_requests_per_gpu: " + std::to_string(r.ranked.front().decode.batch)), std::string::npos);
  EXPECT_NE(f.scenario_yaml.find("rate_per_s:"), std::string::npos);
  ASSERT_EQ(f.files.size(), 2u);
  EXPECT_NE(f.files[1].second.find("nodes: " + std::to_string(r.ranked.front().decode.nodes)), std::string::npos);
}

// The simulated slice keeps the plan's prefill:decode ratio within 10 % when a few decode instances
// allow it, else takes the closest.
TEST(Refine, SimulatedFleetKeepsThePlansPrefillToDecodeRatio) {
  DeploymentPlan d;
  auto fleet = [&](int prefill, int decode) {
    d.prefill_instances = prefill;
    d.decode_instances = decode;
    const SimulatedFleet f = simulated_fleet(d);
    return std::make_pair(f.prefill_instances, f.decode_instances);
  };
  EXPECT_EQ(fleet(20, 19), std::make_pair(1, 1));   // 1.05: one of each is 5 % short
  EXPECT_EQ(fleet(20, 11), std::make_pair(2, 1));   // 1.82: two prefill, 10 % over
  EXPECT_EQ(fleet(3, 2), std::make_pair(3, 2));     // 1.5: one decode would be 33 % off
  EXPECT_EQ(fleet(7, 30), std::make_pair(1, 4));    // 0.23: 1 of 4 is the closest within 4
  EXPECT_EQ(fleet(1, 1), std::make_pair(1, 1));
}

// With no request count given, the run lasts four size-biased stays (TTFT + (1 + cv^2) x output x TPOT)
// at the simulated rate, at least a minute; a given count is kept.
TEST(Refine, SteadyStateWindowCoversFourStays) {
  DeploymentPlan d;
  d.prefill_est.latency_s = 1.0;
  d.decode_est.latency_s = 0.05;
  ServingLoad load;
  load.mean_output_tokens = 1000;
  const SimulationWindow w = steady_state_window(0, d, load, 10.0);
  const double biased = 1 + kPlanLengthCv * kPlanLengthCv;
  EXPECT_EQ(w.requests, static_cast<int64_t>(std::ceil(10.0 * (1.0 + biased * 1000 * 0.05) / w.warmup_fraction)));
  EXPECT_EQ(steady_state_window(0, d, ServingLoad{}, 10.0).requests, 600);  // short stays: a minute at 10/s
  EXPECT_EQ(steady_state_window(0, d, ServingLoad{}, 1.0).requests, kMinSimulatedRequests);
  EXPECT_EQ(steady_state_window(1234, d, load, 10.0).requests, 1234);
}

TEST(Refine, TopKSimulatedInParallelAndCachedByScenarioHash) {
  const configs::PlanSpec plan = test::load_plan("small_serving.yaml");
  ServingPlanResult r = small_result(plan);
  FakeSimulator fake;
  const CachedRunner cached(fake, "");
  refine_top(plan, r.load, &r.ranked, 3, cached, 2);
  for (size_t i = 0; i < r.ranked.size(); ++i) EXPECT_EQ(r.ranked[i].simulated.ok, i < 3);
  const int first = fake.calls;
  refine_top(plan, r.load, &r.ranked, 3, cached, 2);
  EXPECT_EQ(fake.calls, first);  // second pass served from the cache
  EXPECT_EQ(cached.hits(), 3u);
  EXPECT_TRUE(r.ranked[0].simulated.cached);
}

TEST(Refine, DiskCacheSurvivesANewSimulator) {
  const configs::PlanSpec plan = test::load_plan("small_serving.yaml");
  ServingPlanResult r = small_result(plan);
  const std::string dir = (std::filesystem::temp_directory_path() / "moesim-refine-cache-test").string();
  std::filesystem::remove_all(dir);
  FakeSimulator fake;
  {
    const CachedRunner c1(fake, dir);
    refine_top(plan, r.load, &r.ranked, 1, c1, 1);
  }
  const CachedRunner c2(fake, dir);
  refine_top(plan, r.load, &r.ranked, 1, c2, 1);
  EXPECT_EQ(fake.calls, 1);
  EXPECT_EQ(c2.hits(), 1u);
  EXPECT_TRUE(r.ranked[0].simulated.ok);
  EXPECT_TRUE(r.ranked[0].simulated.cached);
  // Another salt (another calibration) is another key.
  const CachedRunner c3(fake, dir, "calibrated");
  refine_top(plan, r.load, &r.ranked, 1, c3, 1);
  EXPECT_EQ(fake.calls, 2);
  std::filesystem::remove_all(dir);
}

TEST(Refine, FailedRunsCarryTheChildsError) {
  SimulationRun run;
  run.exit_code = 2;
  run.error = "moesim: error: bad scenario";
  const SimulatedMetrics m = serve_metrics_of(run, configs::ServingSloSpec{});
  EXPECT_FALSE(m.ok);
  EXPECT_EQ(m.error, "simulate serve exited 2: moesim: error: bad scenario");
}

TEST(Refine, ParsesSimulateServeJson) {
  configs::ServingSloSpec slo;
  const SimulatedMetrics m = parse_serve_json(
      R"({"ttft_s": {"p50": 0.5, "p90": 1.5, "p99": 3}, "tpot_s": {"p50": 0.03, "p90": 0.04, "p99": 0.09},
          "decode_output_tokens_per_s_per_gpu": 1234})", slo);
  ASSERT_TRUE(m.ok);
  EXPECT_DOUBLE_EQ(m.ttft_p_s, 1.5);
  EXPECT_DOUBLE_EQ(m.tpot_p_s, 0.04);
  EXPECT_DOUBLE_EQ(m.output_tokens_per_s_per_gpu, 1234);
  EXPECT_TRUE(m.meets_slo);
  EXPECT_FALSE(parse_serve_json("not json", slo).ok);
  EXPECT_FALSE(parse_serve_json(R"({"ttft_s": 1})", slo).ok);
}

}  // namespace
}  // namespace moesim::planner::search

namespace moesim::planner::search {
namespace {

TEST(Refine, SimulationMissesAreMovedBehindConfirmedRows) {
  std::vector<DeploymentPlan> rows(4);
  for (size_t i = 0; i < rows.size(); ++i) rows[i].key = std::to_string(i);
  rows[0].simulated.ok = true;   // misses
  rows[1].simulated.ok = false;  // not simulated
  rows[2].simulated.ok = true;
  rows[2].simulated.meets_slo = true;
  rows[3].simulated.ok = true;   // beyond k: untouched
  apply_refinement(&rows, 3);
  EXPECT_EQ(rows[0].key, "2");
  EXPECT_EQ(rows[1].key, "1");
  EXPECT_EQ(rows[2].key, "0");
  EXPECT_EQ(rows[3].key, "3");
  EXPECT_NE(rows[0].why.find("simulation confirms"), std::string::npos);
  EXPECT_NE(rows[2].why.find("simulation misses"), std::string::npos);
}

}  // namespace
}  // namespace moesim::planner::search
