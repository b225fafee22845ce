// Placement speed at DeepSeek-V3 shapes (58 MoE layers × 256 experts → 288 slots), and with
// `--table [--instances N]` the deepseek-vs-balanced table over N seeded Zipf instances per shape.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "planner/balanced.hpp"
#include "planner/eplb.hpp"
#include "planner/placement_stats.hpp"

namespace {

using namespace moesim::planner;
namespace traces = moesim::traces;

const PlacementSpec kPrefill{288, 8, 4, 32};   // hierarchical: 8 groups on 4 nodes
const PlacementSpec kDecode{288, 8, 18, 144};  // global: 18 nodes do not divide 8 groups

// The table's exponents cycle over 0.5 ... 1.2 so the instances span mild to heavy skew.
double exponent_for(int instance) { return 0.5 + 0.1 * (instance % 8); }

const LoadMatrix& decode_loads() {
  static const LoadMatrix loads = traces::zipf_loads({58, 256, 1.0, 8.0 * 4096, 0});
  return loads;
}

void BM_DeepseekDecode(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(place_deepseek(decode_loads(), kDecode));
}
void BM_BalancedDecode(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(place_balanced(decode_loads(), kDecode));
}
void BM_DeepseekPrefill(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(place_deepseek(decode_loads(), kPrefill));
}
void BM_BalancedPrefill(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(place_balanced(decode_loads(), kPrefill));
}
void BM_LowerBoundsDecode(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(lower_bounds(decode_loads(), kDecode));
}
BENCHMARK(BM_DeepseekDecode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BalancedDecode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DeepseekPrefill)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BalancedPrefill)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LowerBoundsDecode)->Unit(benchmark::kMillisecond);

struct Totals {
  double gap_deepseek = 0, gap_balanced = 0, imb_deepseek = 0, imb_balanced = 0;
  int balanced_worse = 0;
};

void print_shape(const char* name, const PlacementSpec& spec, int instances) {
  std::printf("\n%s: R=%d G=%d N=%d M=%d, 58 layers x 256 experts (imbalance = max/mean GPU load, layer mean)\n", name,
              spec.replicas, spec.groups, spec.nodes, spec.gpus);
  std::printf("%4s %5s %12s %12s %12s %10s %10s\n", "seed", "zipf", "deepseek", "balanced", "bound/mean", "gap ds %", "gap bal %");
  Totals t;
  for (int i = 0; i < instances; ++i) {
    const LoadMatrix loads = traces::zipf_loads({58, 256, exponent_for(i), 8.0 * 4096, static_cast<uint64_t>(i)});
    const LayerBounds bounds = lower_bounds(loads, spec);
    const PlacementStats d = placement_stats(place_deepseek(loads, spec), loads, spec, bounds);
    const PlacementStats b = placement_stats(place_balanced(loads, spec), loads, spec, bounds);
    double bound_ratio = 0;
    for (const auto& layer : d.per_layer) bound_ratio += layer.lower_bound / layer.mean_gpu_load / d.per_layer.size();
    std::printf("%4d %5.2f %12.4f %12.4f %12.4f %10.3f %10.3f\n", i, exponent_for(i), d.imbalance_mean, b.imbalance_mean,
                bound_ratio, 100 * d.gap_mean, 100 * b.gap_mean);
    t.gap_deepseek += d.gap_mean / instances, t.gap_balanced += b.gap_mean / instances;
    t.imb_deepseek += d.imbalance_mean / instances, t.imb_balanced += b.imbalance_mean / instances;
    t.balanced_worse += b.imbalance_mean > d.imbalance_mean;
  }
  std::printf("%s summary: mean imbalance deepseek %.4f balanced %.4f; mean gap deepseek %.3f%% balanced %.3f%%; "
              "gap closed %.1f%%; instances where balanced is worse: %d of %d\n",
              name, t.imb_deepseek, t.imb_balanced, 100 * t.gap_deepseek, 100 * t.gap_balanced,
              100 * (1 - t.gap_balanced / t.gap_deepseek), t.balanced_worse, instances);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--table") != 0) continue;
    const int instances = i + 2 < argc && std::strcmp(argv[i + 1], "--instances") == 0 ? std::atoi(argv[i + 2]) : 200;
    print_shape("prefill", kPrefill, instances);
    print_shape("decode", kDecode, instances);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
