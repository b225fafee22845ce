// Refinement of training layouts: the scenario written for a candidate round-trips through the
// configs loader, and a fake `simulate train` re-ranks the rows by their simulated figures.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "configs/training_scenario.hpp"
#include "models/cost_model.hpp"
#include "planner/search/training_refine.hpp"
#include "test_util.hpp"

namespace moesim::planner::search {
namespace {

TrainingPlanResult small_result(const configs::PlanSpec& plan) {
  const models::RooflineCostModel cost;
  Result<TrainingPlanResult> r = search_training(plan, cost, ShardContext{});
  if (!r.ok()) throw std::runtime_error(r.errors().front().message);
  return r.value();
}

// Writes the scenario's files into a fresh directory, as SubprocessRunner does, and loads it.
Result<configs::TrainingScenario> load_written(const ScenarioFiles& f) {
  const auto dir = std::filesystem::temp_directory_path() / ("moesim-training-refine-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const auto& [name, body] : f.files) std::ofstream(dir / name) << body;
  std::string yaml = f.scenario_yaml;
  for (size_t at = yaml.find("@DIR@"); at != std::string::npos; at = yaml.find("@DIR@", at)) yaml.replace(at, 5, dir.string());
  Result<configs::TrainingScenario> s = configs::parse_training_scenario(yaml, "written.yaml");
  std::filesystem::remove_all(dir);
  return s;
}

TEST(TrainingRefine, WrittenScenarioLoadsWithTheCandidatesLayout) {
  const configs::PlanSpec plan = test::load_plan("small_training.yaml");
  const TrainingPlanResult r = small_result(plan);
  ASSERT_GE(r.ranked.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const TrainingCandidate& c = r.ranked[i].candidate;
    const ScenarioFiles f = training_scenario_for(plan, c);
    EXPECT_EQ(f.command, "train");
    Result<configs::TrainingScenario> s = load_written(f);
    ASSERT_TRUE(s.ok()) << s.errors().front().message << "\n" << f.scenario_yaml;
    const configs::TrainingScenario& t = s.value();
    EXPECT_EQ(t.pp, c.pp);
    EXPECT_EQ(t.dp, c.dp);
    EXPECT_EQ(t.ep, c.ep);
    EXPECT_EQ(t.tp, c.tp);
    EXPECT_STREQ(configs::schedule_name(t.schedule), configs::schedule_name(c.schedule));
    EXPECT_EQ(t.micro_batch_sequences, c.micro_batch);
    EXPECT_EQ(static_cast<int>(t.recompute), c.recompute);
    EXPECT_EQ(t.gemm_dtype, c.gemm_dtype);
    EXPECT_EQ(t.cluster.nodes, c.nodes);
    EXPECT_EQ(t.cluster.gpu.name, plan.gpus[static_cast<size_t>(c.gpu_index)].node.gpu.name);
    EXPECT_EQ(t.global_batch_sequences, plan.training.global_batch_sequences);
    EXPECT_EQ(t.model.name, plan.model.name);
    EXPECT_TRUE(t.enforce_hbm_limit);
    EXPECT_DOUBLE_EQ(t.price_usd_per_gpu_hour, plan.gpus[static_cast<size_t>(c.gpu_index)].price_usd_per_gpu_hour);
  }
}

// Step time by pipeline depth: PP8 layouts simulate slow, PP16 fast; EP32 does not fit.
class FakeTrain : public ScenarioRunner {
 public:
  SimulationRun run(const ScenarioFiles& s) const override {
    SimulationRun r;
    if (s.scenario_yaml.find("ep: 32") != std::string::npos) {
      r.exit_code = 3;
      r.error = "moesim: error: @DIR@/scenario.yaml: memory per GPU 90 GiB exceeds the 74.5 GiB of HBM on h800; try more pp";
      return r;
    }
    const bool pp16 = s.scenario_yaml.find("pp: 16") != std::string::npos;
    r.exit_code = 0;
    r.json = std::string(R"({"step_time_s": )") + (pp16 ? "10" : "100") +
             R"(, "breakdown_s": {"bubble": 1, "exposed_comm": 2}, "memory_per_gpu_bytes": 6e10, "hbm_bytes": 8e10,
                 "mfu_causal": 0.3, "memory_fits": true})";
    return r;
  }
};

TEST(TrainingRefine, SimulatedObjectiveReordersAndNonFittingRowsGoLast) {
  configs::PlanSpec plan = test::load_plan("small_training.yaml");
  plan.objective = "time";
  plan.training.deadline_s = 0;
  TrainingPlanResult r = small_result(plan);
  const int k = static_cast<int>(r.ranked.size());
  const std::vector<TrainingPlanRow> before = r.ranked;
  refine_training_top(plan, &r.ranked, k, FakeTrain(), 2);
  apply_training_refinement(plan, &r.ranked);
  ASSERT_EQ(r.ranked.size(), before.size());
  // Groups in order: simulated and fitting (PP16 before PP8), then the rows that do not fit.
  int last_group = 0;
  double last_step = 0;
  for (const TrainingPlanRow& row : r.ranked) {
    EXPECT_TRUE(row.simulated.ran) << row.key;
    const int group = row.simulated.fits ? 0 : 2;
    EXPECT_GE(group, last_group) << row.key;
    if (group == 0) {
      ASSERT_TRUE(row.simulated.ok) << row.key;
      EXPECT_GE(row.simulated.step_s, last_step) << row.key;
      last_step = row.simulated.step_s;
      EXPECT_NE(row.why.find("simulated step"), std::string::npos) << row.why;
    } else {
      EXPECT_FALSE(row.simulated.ok);
      EXPECT_EQ(row.simulated.error, "memory per GPU 90 GiB exceeds the 74.5 GiB of HBM on h800");
      EXPECT_NE(row.why.find("does not fit"), std::string::npos) << row.why;
    }
    last_group = group;
    ASSERT_GT(row.simulated.analytical_rank, 0) << row.key;
    EXPECT_EQ(before[static_cast<size_t>(row.simulated.analytical_rank - 1)].key, row.key);
  }
  ASSERT_TRUE(r.ranked.front().simulated.ok);
  EXPECT_EQ(r.ranked.front().candidate.pp, 16);
  // "best on h800" follows the simulated order: exactly one row claims it without qualification.
  int best = 0;
  for (const TrainingPlanRow& row : r.ranked) {
    const size_t at = row.why.find("best on h800");
    if (at != std::string::npos && row.why.find("best on h800 analytically") == std::string::npos) ++best;
  }
  EXPECT_EQ(best, 1);
  EXPECT_NE(r.ranked.front().why.find("best on h800"), std::string::npos) << r.ranked.front().why;
  const TrainingSimulated& s = r.ranked.front().simulated;
  EXPECT_DOUBLE_EQ(s.time_to_train_s, plan.training.tokens /
                                          static_cast<double>(plan.training.global_batch_sequences * plan.training.sequence_tokens) * 10);
  EXPECT_NEAR(s.mfu, r.ranked.front().estimate.mfu * r.ranked.front().estimate.step_s / 10, 1e-12);
}

TEST(TrainingRefine, SimulatedRowsReRankInTheirPlacesOthersStay) {
  configs::PlanSpec plan = test::load_plan("small_training.yaml");
  std::vector<TrainingPlanRow> rows(5);
  for (size_t i = 0; i < rows.size(); ++i) rows[i].key = std::to_string(i);
  for (size_t i : {0, 2, 4}) rows[i].simulated.ran = true;
  rows[0].simulated.fits = false;                          // does not fit
  rows[1].simulated.error = "tp = 4: not modelled";        // not simulable: keeps its place
  rows[2].simulated.error = "simulate train exited 2: x";  // failed
  rows[4].simulated.ok = true;                             // confirmed
  rows[4].simulated.step_s = 5;
  rows[4].estimate.step_s = 4;
  apply_training_refinement(plan, &rows);
  EXPECT_EQ(rows[0].key, "4");
  EXPECT_EQ(rows[1].key, "1");
  EXPECT_EQ(rows[2].key, "2");
  EXPECT_EQ(rows[3].key, "3");
  EXPECT_EQ(rows[4].key, "0");
  EXPECT_NE(rows[0].why.find("+25 % vs analytical"), std::string::npos) << rows[0].why;
  EXPECT_NE(rows[0].why.find("from #5 to #1"), std::string::npos) << rows[0].why;
  EXPECT_NE(rows[1].why.find("not simulated (tp = 4"), std::string::npos) << rows[1].why;
  EXPECT_NE(rows[2].why.find("simulation failed"), std::string::npos) << rows[2].why;
  EXPECT_NE(rows[4].why.find("does not fit"), std::string::npos) << rows[4].why;
  EXPECT_EQ(rows[3].simulated.analytical_rank, 0);
  EXPECT_EQ(rows[4].simulated.analytical_rank, 1);
}

TEST(TrainingRefine, OnlyLayoutsTheSimulatorModelsAreSimulated) {
  configs::PlanSpec plan = test::load_plan("small_training.yaml");
  TrainingPlanResult r = small_result(plan);
  ASSERT_GE(r.ranked.size(), 3u);
  r.ranked[0].candidate.tp = 3;  // a TP group must lie inside a node of 8 GPUs
  r.ranked[1].candidate.tp = 2;  // simulated like tp = 1
  refine_training_top(plan, &r.ranked, 2, FakeTrain(), 1);
  EXPECT_FALSE(r.ranked[0].simulated.ran);
  EXPECT_NE(r.ranked[0].simulated.error.find("tp = 3 does not divide the 8 GPUs of a node"), std::string::npos)
      << r.ranked[0].simulated.error;
  EXPECT_TRUE(r.ranked[1].simulated.ran);
  EXPECT_TRUE(r.ranked[2].simulated.ran);
  for (size_t i = 3; i < r.ranked.size(); ++i) EXPECT_FALSE(r.ranked[i].simulated.ran);
}

TEST(TrainingRefine, BadJsonIsAnErrorNotANumber) {
  const configs::PlanSpec plan = test::load_plan("small_training.yaml");
  SimulationRun run;
  run.exit_code = 0;
  run.json = R"({"step_time_s": 3})";
  const TrainingSimulated s = train_metrics_of(run, plan, TrainingCandidate{});
  EXPECT_FALSE(s.ok);
  EXPECT_TRUE(s.fits);
  EXPECT_NE(s.error.find("unexpected simulate train JSON"), std::string::npos) << s.error;
}

}  // namespace
}  // namespace moesim::planner::search
