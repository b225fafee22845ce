// Chrome-trace import speed. Generates a Kineto-shaped trace (kernels with full args, CPU ops, runtime
// calls, annotations, flow events) of MOESIM_BENCH_TRACE_MB megabytes (default 500) in /tmp, then
// times streaming import (records handed to a callback and dropped) and `trace summarize`.
// Google Benchmark's bytes_per_second is the figure: MB/s of trace file.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "traces/chrome_trace_reader.hpp"
#include "traces/trace_summary.hpp"

namespace {

const char* const kKernelNames[] = {
    "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas",
    "nvjet_tst_128x256_64x4_2x1_v_bz_coopA_TNT",
    "void deep_gemm::fp8_gemm_kernel<7168u, 4096u, 128u, 128u, 128u, 1u, 8u, 128u, 1u, 2u>(__nv_bfloat16*, float*)",
    "void flash::flash_fwd_splitkv_mla_kernel<Flash_fwd_kernel_traits_mla<576, 64, 64, 8, cutlass::bfloat16_t, 512>>",
    "void deep_ep::intranode::dispatch<8, 768, 8192>(int4*, float*, int*, long*, SourceMeta*, int4 const*)",
    "void deep_ep::intranode::combine<__nv_bfloat16, 8, 768>(int4*, float*, int4 const*, float const*)",
    "ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<4096ul>)",
    "void (anonymous namespace)::rms_norm_kernel<c10::BFloat16, float>(c10::BFloat16*, c10::BFloat16 const*)",
    "void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<c10::BFloat16>, std::array<char*, 3ul> >",
    "triton_poi_fused__to_copy_add_mul_silu_3",
};

std::string& trace_path() {
  static std::string path;
  return path;
}

int64_t& trace_bytes() {
  static int64_t bytes = 0;
  return bytes;
}

// Writes the synthetic trace; returns its size in bytes.
int64_t generate(const std::string& path, int64_t target_bytes) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return 0;
  static char buffer[1 << 20];
  std::setvbuf(f, buffer, _IOFBF, sizeof buffer);
  std::fprintf(f, "{\n  \"schemaVersion\": 1,\n  \"deviceProperties\": [{\"id\": 0, \"name\": \"NVIDIA H200\", "
                  "\"totalGlobalMem\": 150754820096, \"computeMajor\": 9, \"computeMinor\": 0, \"numSms\": 132}],\n"
                  "  \"traceEvents\": [\n");
  long long ts_ns = 1700000000000000LL;
  for (long long i = 0; std::ftell(f) < target_bytes; ++i) {
    const double ts = static_cast<double>(ts_ns) / 1e3;
    const int stream = (i % 7 == 3) ? 20 : 7;
    const char* name = kKernelNames[i % 10];
    std::fprintf(f,
                 "  {\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"aten::mm\", \"pid\": 1234, \"tid\": 1234, "
                 "\"ts\": %.3f, \"dur\": 12.345, \"args\": {\"External id\": %lld, \"Sequence number\": %lld, "
                 "\"Fwd thread id\": 0, \"Input Dims\": [[4096, 7168], [7168, 1536]], \"Input type\": "
                 "[\"c10::BFloat16\", \"c10::BFloat16\"]}},\n",
                 ts - 20, i, i);
    std::fprintf(f,
                 "  {\"ph\": \"X\", \"cat\": \"cuda_runtime\", \"name\": \"cudaLaunchKernel\", \"pid\": 1234, "
                 "\"tid\": 1234, \"ts\": %.3f, \"dur\": 4.25, \"args\": {\"External id\": %lld, \"cbid\": 211, "
                 "\"correlation\": %lld}},\n",
                 ts - 10, i, i);
    std::fprintf(f,
                 "  {\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"%s\", \"pid\": 0, \"tid\": %d, \"ts\": %.3f, "
                 "\"dur\": %.3f, \"args\": {\"External id\": %lld, \"queued\": 0, \"device\": 0, \"context\": 1, "
                 "\"stream\": %d, \"correlation\": %lld, \"registers per thread\": 168, \"shared memory\": 0, "
                 "\"blocks per SM\": 1.0, \"warps per SM\": 4.0, \"grid\": [132, 1, 1], \"block\": [384, 1, 1], "
                 "\"est. achieved occupancy %%\": 6}},\n",
                 name, stream, ts, 5.0 + static_cast<double>(i % 97), i, stream, i);
    if (i % 10 == 0) {
      std::fprintf(f,
                   "  {\"ph\": \"X\", \"cat\": \"user_annotation\", \"name\": \"layer_%lld\", \"pid\": 1234, "
                   "\"tid\": 1234, \"ts\": %.3f, \"dur\": 250.5, \"args\": {\"External id\": %lld}},\n",
                   i % 61, ts - 30, i);
    }
    ts_ns += 110000;
  }
  std::fprintf(f, "  {\"ph\": \"X\", \"cat\": \"Trace\", \"name\": \"end\", \"pid\": 0, \"tid\": 0, \"ts\": 0, "
                  "\"dur\": 0, \"args\": {}}\n  ]\n}\n");
  const int64_t size = std::ftell(f);
  std::fclose(f);
  return size;
}

void BM_ImportChromeTrace(benchmark::State& state) {
  int64_t kernels = 0;
  for (auto _ : state) {
    moesim::traces::ChromeTraceCallbacks cb;
    cb.on_activity = [&](moesim::traces::KernelRecord&& r) { benchmark::DoNotOptimize(r.end_ns); };
    auto info = moesim::traces::read_chrome_trace(trace_path(), cb);
    if (!info.ok()) {
      state.SkipWithError(info.errors()[0].message.c_str());
      return;
    }
    kernels = info.value().kernels;
  }
  state.SetBytesProcessed(state.iterations() * trace_bytes());
  state.counters["kernels"] = static_cast<double>(kernels);
  state.counters["file_MB"] = static_cast<double>(trace_bytes()) / 1e6;
}
BENCHMARK(BM_ImportChromeTrace)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(2);

void BM_SummarizeChromeTrace(benchmark::State& state) {
  for (auto _ : state) {
    auto s = moesim::traces::summarize_chrome_trace(trace_path());
    if (!s.ok()) {
      state.SkipWithError(s.errors()[0].message.c_str());
      return;
    }
    benchmark::DoNotOptimize(s.value().compute_comm_overlap_ns);
  }
  state.SetBytesProcessed(state.iterations() * trace_bytes());
}
BENCHMARK(BM_SummarizeChromeTrace)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

int main(int argc, char** argv) {
  const char* mb = std::getenv("MOESIM_BENCH_TRACE_MB");
  const int64_t target = (mb != nullptr ? std::atoll(mb) : 500) * 1000000LL;
  trace_path() = "/tmp/moesim_bench_trace_" + std::to_string(static_cast<long long>(getpid())) + ".json";
  trace_bytes() = generate(trace_path(), target);
  if (trace_bytes() <= 0) {
    std::fprintf(stderr, "cannot write %s\n", trace_path().c_str());
    return 1;
  }
  std::fprintf(stderr, "synthetic trace: %s, %.1f MB\n", trace_path().c_str(), static_cast<double>(trace_bytes()) / 1e6);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::remove(trace_path().c_str());
  return 0;
}
