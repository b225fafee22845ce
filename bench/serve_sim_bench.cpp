// Wall time of a whole `simulate serve` run (memo tables from SimGrid child processes, routing,
// and the request-level loop) for N requests of a catalog scenario. Counters: simulated seconds,
// requests per wall second, peak resident memory of this process (the children are short-lived).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include "configs/serving_scenario.hpp"
#include "models/cost_model.hpp"
#include "sim/serving/serving_sim.hpp"

namespace {

void serve(benchmark::State& state, const char* scenario) {
  moesim::configs::ServingScenarioSpec s = moesim::configs::load_serving_scenario(scenario).value();
  s.workload.requests = state.range(0);
  const moesim::models::RooflineCostModel cost;
  double simulated = 0, decode_per_node = 0, prefill_per_node = 0;
  for (auto _ : state) {
    moesim::Result<moesim::sim::serving::ServingResult> r = moesim::sim::serving::simulate_serving(s, cost);
    if (!r.ok()) {
      state.SkipWithError(r.errors().front().message.c_str());
      return;
    }
    simulated = r.value().simulated_s;
    decode_per_node = r.value().decode_output_tokens_per_s_per_node;
    prefill_per_node = r.value().prefill_input_tokens_per_s_per_node;
    benchmark::DoNotOptimize(r.value().tpot_s.p99);
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  state.counters["simulated_s"] = simulated;
  state.counters["requests_per_wall_s"] =
      benchmark::Counter(static_cast<double>(state.range(0)) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["peak_rss_mib"] = static_cast<double>(usage.ru_maxrss) / 1024.0;
  state.counters["prefill_tok_s_node"] = prefill_per_node;
  state.counters["decode_tok_s_node"] = decode_per_node;
}

void BM_ServeT2(benchmark::State& state) { serve(state, "deepseek-v3-serving-h800"); }
void BM_ServeEp320(benchmark::State& state) { serve(state, "deepseek-v3-serving-h800-ep320"); }

}  // namespace

BENCHMARK(BM_ServeT2)->Arg(10000)->Arg(100000)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_ServeEp320)->Arg(100000)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_MAIN();
