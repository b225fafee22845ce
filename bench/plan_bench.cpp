// Speed of the planner's analytical level: one serving instance candidate, one training layout, and
// the default plan's whole search (enumerate, evaluate, combine, rank).
#include <benchmark/benchmark.h>

#include <stdexcept>

#include "configs/plan_spec.hpp"
#include "planner/search/serving_search.hpp"
#include "planner/search/training_search.hpp"

namespace {

using namespace moesim;
using namespace moesim::planner::search;

const configs::PlanSpec& default_plan() {
  static const configs::PlanSpec plan = [] {
    Result<configs::PlanSpec> p = configs::load_plan_spec("plan-deepseek-v3-serving");
    if (!p.ok()) throw std::runtime_error(p.errors().front().message);
    return p.value();
  }();
  return plan;
}

void BM_ServingCandidate(benchmark::State& state) {
  const models::RooflineCostModel cost;
  const ServingModel model(default_plan(), cost);
  const std::vector<InstanceCandidate> cands = enumerate_serving(default_plan());
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.evaluate(cands[i]));
    i = (i + 7919) % cands.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ServingCandidate)->Unit(benchmark::kMicrosecond);

void BM_TrainingCandidate(benchmark::State& state) {
  configs::PlanSpec plan = default_plan();
  plan.kind = configs::PlanKind::kTraining;
  plan.training.tokens = 14.8e12;
  const models::RooflineCostModel cost;
  const TrainingModel model(plan, cost);
  const std::vector<TrainingCandidate> cands = enumerate_training(plan);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.evaluate(cands[i]));
    i = (i + 7919) % cands.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TrainingCandidate)->Unit(benchmark::kMicrosecond);

void BM_DefaultPlanSearch(benchmark::State& state) {
  const models::RooflineCostModel cost;
  ShardContext ctx;
  ctx.jobs = static_cast<int>(state.range(0));
  size_t candidates = 0;
  for (auto _ : state) {
    Result<ServingPlanResult> r = search_serving(default_plan(), cost, ctx);
    if (!r.ok()) state.SkipWithError("plan failed");
    candidates = r.value().stats.instance_candidates;
  }
  state.counters["candidates"] = static_cast<double>(candidates);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(candidates));
}
BENCHMARK(BM_DefaultPlanSearch)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
