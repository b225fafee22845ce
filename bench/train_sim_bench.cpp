// Wall time of one simulated training step (routing, SimGrid network run in a child process,
// pipeline schedule, metrics). BM_T1Step is the full T1 scenario (2,048 H800, PP16 DualPipe,
// EP64). BM_Scaling keeps EP64, 120 micro-batches and DualPipe and grows the cluster through the
// pipeline depth: 256 GPUs = PP4, 512 = PP8, 1,024 = PP16 x DP64, 2,048 = PP16 x DP128.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "configs/training_scenario.hpp"
#include "models/cost_model.hpp"
#include "sim/training_step.hpp"

namespace {

using moesim::configs::TrainingScenario;

TrainingScenario t1() {
  auto s = moesim::configs::load_training_scenario("deepseek-v3-pretrain-h800");
  if (!s.ok()) std::abort();
  return s.value();
}

void run(benchmark::State& state, const TrainingScenario& s) {
  const moesim::models::RooflineCostModel cost;
  const moesim::sim::NetworkCalibration cal = moesim::sim::embedded_network_calibration("h800");
  double step_time_s = 0;
  for (auto _ : state) {
    auto r = moesim::sim::simulate_training(s, cost, cal);
    if (!r.ok()) {
      state.SkipWithError(r.errors()[0].message.c_str());
      return;
    }
    step_time_s = r.value().step_time_s;
  }
  state.SetLabel("simulated step " + std::to_string(step_time_s) + " s");
}

void BM_T1Step(benchmark::State& state) { run(state, t1()); }
BENCHMARK(BM_T1Step)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();

void BM_Scaling(benchmark::State& state) {
  TrainingScenario s = t1();
  const int gpus = static_cast<int>(state.range(0));
  s.cluster.nodes = gpus / s.cluster.gpus_per_node;
  s.pp = gpus >= 1024 ? 16 : gpus / 64;
  s.dp = gpus / s.pp;
  s.enforce_hbm_limit = false;  // the smaller layouts do not fit in 80 GB; their speed is what counts
  s.global_batch_sequences = 120 * s.dp;  // 120 micro-batches per pipeline, as in T1
  run(state, s);
}
BENCHMARK(BM_Scaling)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->Unit(benchmark::kSecond)->Iterations(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
