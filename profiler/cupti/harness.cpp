// See harness.hpp. Per case: set up fresh random inputs, launch once and check against the reference,
// warm up, then time `repetitions` launches, each inside its own external-correlation range and
// between two CUDA events, and join CUPTI's records back to the repetition by that id.
#include "profiler/cupti/harness.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

#include "profiler/cupti/cupti_session.hpp"
#include "profiler/cupti/harness_report.hpp"

#ifdef MOESIM_CUPTI_HAVE_KERNELS
#include "profiler/cupti/blas_api.hpp"
#include "profiler/cupti/harness_cases.hpp"
#endif

namespace moesim::profiler::cupti {

const std::vector<std::pair<std::string, std::string>>& harness_families() {
  static const std::vector<std::pair<std::string, std::string>> families = {
      {"gemm.bf16", "MLA and dense projection GEMMs, router gate (cuBLAS, bf16), tokens 1..16K"},
      {"gemm.fp8", "the same GEMMs in FP8 E4M3 with 1x128 / 128x128 block scales (cuBLASLt)"},
      {"moe.bf16", "expert FFN grouped GEMMs, 8 experts per GPU, tokens per expert 1..16K (cuBLAS)"},
      {"moe.fp8", "expert FFN GEMMs in block-scaled FP8 (cuBLASLt)"},
      {"attention.prefill", "MLA prefill in MHA form: 128 heads, qk 192, v 128, causal, seq 1K..16K"},
      {"attention.mla_decode",
       "MLA decode, absorbed: 128 heads over the 576-wide latent, batch 1..256, context 1K..128K"},
      {"router", "DeepSeek-V3 routing: sigmoid, group-limited top-8 of 256"},
      {"norm", "RMSNorm, bf16, widths 7168 / 1536 / 512"},
      {"cast", "bf16 -> fp8 e4m3 with 1x128 block scales, and fp32 -> bf16"},
      {"copy", "device-to-device cudaMemcpyAsync, 1 MiB..4 GiB (the copy ceiling)"},
  };
  return families;
}

Status validate_families(const std::vector<std::string>& families) {
  std::vector<Error> errors;
  for (const std::string& name : families) {
    const auto& known = harness_families();
    if (std::none_of(known.begin(), known.end(), [&](const auto& f) { return f.first == name; })) {
      std::string list;
      for (const auto& f : known) list += (list.empty() ? "" : ", ") + f.first;
      errors.push_back(bad_input("--ops: unknown op family '" + name + "' (expected one of " + list + ")"));
    }
  }
  return errors;
}

bool harness_kernels_built() {
#ifdef MOESIM_CUPTI_HAVE_KERNELS
  return true;
#else
  return false;
#endif
}

#ifndef MOESIM_CUPTI_HAVE_KERNELS

Result<HarnessResult> run_harness(const HarnessSpec& spec) {
  if (Status v = validate_families(spec.families); !v.ok()) return v.errors();
  Result<DeviceInfo> device = probe_device(spec.device);
  if (!device.ok()) return device.errors();
  return Error{ErrorKind::kNoDevice,
               "profiling unavailable: moesim was built without nvcc, so the harness kernels are missing"};
}

#else

namespace {

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

// Linear interpolation between order statistics; p in [0, 1].
double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double at = p * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(at), hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (at - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

// Owns the stream, library handles and workspace for the whole run.
class GpuRun {
 public:
  ~GpuRun() {
    if (ctx.blas_lt) blas().lt_destroy(ctx.blas_lt);
    if (ctx.blas) blas().destroy(ctx.blas);
    if (ctx.workspace) cudaFree(ctx.workspace);
    if (ctx.stream) cudaStreamDestroy(ctx.stream);
  }
  Status init(int device, uint64_t seed) {
    ctx.seed = seed;
    ctx.workspace_bytes = size_t{32} << 20;
    if (Status s = cuda_check(cudaSetDevice(device), "cudaSetDevice"); !s.ok()) return s;
    if (Status s = cuda_check(cudaStreamCreateWithFlags(&ctx.stream, cudaStreamNonBlocking), "cudaStreamCreate");
        !s.ok())
      return s;
    if (Status s = cuda_check(cudaMalloc(&ctx.workspace, ctx.workspace_bytes), "workspace"); !s.ok()) return s;
    if (Status s = cublas_check(blas().create(&ctx.blas), "cublasCreate"); !s.ok()) return s;
    if (Status s = cublas_check(blas().set_stream(ctx.blas, ctx.stream), "cublasSetStream"); !s.ok()) return s;
    if (Status s =
            cublas_check(blas().set_workspace(ctx.blas, ctx.workspace, ctx.workspace_bytes), "cublasSetWorkspace");
        !s.ok())
      return s;
    return cublas_check(blas().lt_create(&ctx.blas_lt), "cublasLtCreate");
  }
  GpuContext ctx;
};

// Launches per repetition so that one repetition lasts at least this long: the host-side gap
// between an event and the first kernel (~1-2 us) would otherwise dominate tiny ops' event times.
constexpr double kMinRepetitionNs = 200e3;
constexpr int kMaxLaunchesPerRep = 64;

// Event time of one launch after warm-up, to size the repetitions.
Result<int> launches_per_rep(HarnessCase& c, GpuContext& ctx, int warmup) {
  for (int i = 0; i < std::max(warmup, 1); ++i) {
    if (Status s = c.launch(ctx); !s.ok()) return s.errors();
  }
  cudaEvent_t start = nullptr, stop = nullptr;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  cudaEventRecord(start, ctx.stream);
  Status launched = c.launch(ctx);
  cudaEventRecord(stop, ctx.stream);
  Status synced = cuda_check(cudaStreamSynchronize(ctx.stream), "synchronize after warm-up");
  float ms = 0;
  if (launched.ok() && synced.ok()) cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  if (!launched.ok()) return launched.errors();
  if (!synced.ok()) return synced.errors();
  const double ns = std::max(1.0, ms * 1e6);
  return static_cast<int>(std::clamp(std::ceil(kMinRepetitionNs / ns), 1.0, double(kMaxLaunchesPerRep)));
}

// Tags on every record of a case: its own (shape, variant), what it is, and, for ops the cost model
// calibrates, op_kind + dtype + the calibration shape keys (traces/calibration/README.md, route B).
std::map<std::string, std::string> record_tags(const HarnessCase& c, const CaseResult& result) {
  std::map<std::string, std::string> tags = c.tags();
  tags["op"] = c.op().name;
  tags["family"] = c.family();
  for (auto& [key, value] : calibration_tags(result)) tags[key] = value;
  return tags;
}

// Times `reps` repetitions (each `inner` back-to-back launches); fills the timing fields of `out`
// (per launch) and appends the records of each repetition's first launch.
Status time_case(HarnessCase& c, GpuContext& ctx, CuptiSession& session, const HarnessSpec& spec, int reps,
                 CaseResult* out, std::vector<traces::KernelRecord>* records) {
  Result<int> sized = launches_per_rep(c, ctx, spec.warmup);
  if (!sized.ok()) return sized.errors();
  const int inner = sized.value();
  out->launches_per_rep = inner;
  session.take_records();  // drop the warm-up's activity
  std::vector<cudaEvent_t> events(2 * reps, nullptr);
  for (cudaEvent_t& e : events) {
    if (Status s = cuda_check(cudaEventCreate(&e), "cudaEventCreate"); !s.ok()) return s;
  }
  const std::map<std::string, std::string> tags = record_tags(c, *out);
  std::map<std::string, int> rep_of_id;
  std::set<std::string> kept_ids;  // the first launch of each repetition: what goes into `records`
  Status launched;
  // Launch all repetitions without synchronising, so the GPU queue stays full and the events sit
  // right next to the kernels (host launch gaps would otherwise show up in the event times). Each
  // launch gets its own id and "rep" tag: `moesim calibrate` sums a launch's kernels by that tag.
  for (int rep = 0; rep < reps && launched.ok(); ++rep) {
    cudaEventRecord(events[2 * rep], ctx.stream);
    for (int i = 0; i < inner && launched.ok(); ++i) {
      std::map<std::string, std::string> launch_tags = tags;
      launch_tags["rep"] = std::to_string(rep * inner + i);
      const uint64_t id = session.registry().register_tags(std::move(launch_tags));
      rep_of_id[std::to_string(id)] = rep;
      if (i == 0) kept_ids.insert(std::to_string(id));
      launched = session.push_range(id);
      if (launched.ok()) launched = c.launch(ctx);
      if (Status s = session.pop_range(); !s.ok() && launched.ok()) launched = s;
    }
    cudaEventRecord(events[2 * rep + 1], ctx.stream);
  }
  Status synced = cuda_check(cudaStreamSynchronize(ctx.stream), "synchronize after timing");
  std::vector<double> event_ns;
  for (int rep = 0; launched.ok() && synced.ok() && rep < reps; ++rep) {
    float ms = 0;
    cudaEventElapsedTime(&ms, events[2 * rep], events[2 * rep + 1]);
    event_ns.push_back(ms * 1e6 / inner);
  }
  for (cudaEvent_t e : events) cudaEventDestroy(e);
  if (!launched.ok()) return launched;
  if (!synced.ok()) return synced;

  Result<std::vector<traces::KernelRecord>> taken = session.take_records();
  if (!taken.ok()) return taken.errors();
  std::vector<int64_t> first(reps, INT64_MAX), last(reps, INT64_MIN), busy(reps, 0), count(reps, 0);
  std::map<std::string, int64_t> busy_by_name;
  for (traces::KernelRecord& r : taken.value()) {
    auto it = r.tags.count("external_id") ? rep_of_id.find(r.tags["external_id"]) : rep_of_id.end();
    if (it != rep_of_id.end()) {
      const int rep = it->second;
      first[rep] = std::min(first[rep], r.start_ns), last[rep] = std::max(last[rep], r.end_ns);
      busy[rep] += r.duration_ns(), ++count[rep];
      busy_by_name[r.name] += r.duration_ns();
      // One launch per repetition is enough for traces and `moesim calibrate`; all of them would
      // be ~10^6 records (and hundreds of MB of JSON) over a full sweep.
      if (kept_ids.count(it->first)) records->push_back(std::move(r));
    }
  }
  for (const auto& [name, ns] : busy_by_name) {
    if (out->dominant_kernel.empty() || ns > busy_by_name[out->dominant_kernel]) out->dominant_kernel = name;
  }
  std::vector<double> span_ns, busy_ns;
  for (int rep = 0; rep < reps; ++rep) {
    if (count[rep] == 0) continue;  // nothing captured for it: reported through kernels_per_launch
    span_ns.push_back(static_cast<double>(last[rep] - first[rep]) / inner);
    busy_ns.push_back(static_cast<double>(busy[rep]) / inner);
  }
  out->kernels_per_launch = count.empty() ? 0 : static_cast<int>(*std::min_element(count.begin(), count.end())) / inner;
  out->cupti_span_ns = median(span_ns);
  out->cupti_busy_ns = median(busy_ns);
  out->cupti_spread_ns = 0.5 * (percentile(busy_ns, 0.9) - percentile(busy_ns, 0.1));
  out->event_ns = median(event_ns);
  out->agreement = out->event_ns > 0 ? std::fabs(out->cupti_span_ns - out->event_ns) / out->event_ns : INFINITY;
  return {};
}

// Sets up, checks and times one case. Errors returned are fatal for the run (a CUDA fault); a case
// that cannot run here (memory, unsupported) is recorded in its status instead.
Status run_case(HarnessCase& c, GpuContext& ctx, CuptiSession& session, const HarnessSpec& spec, int reps,
                CaseResult* out, std::vector<traces::KernelRecord>* records) {
  out->family = c.family(), out->op = c.op(), out->tags = c.tags(), out->error_bound = c.error_bound();
  size_t free_bytes = 0, total_bytes = 0;
  cudaMemGetInfo(&free_bytes, &total_bytes);
  if (c.device_bytes() > free_bytes * 0.9) {
    out->status = "skipped_memory";
    out->detail = "needs " + std::to_string(c.device_bytes()) + " B, " + std::to_string(free_bytes) + " B free";
    return {};
  }
  Status s = c.setup(ctx);
  if (s.ok()) s = c.launch(ctx);
  if (!s.ok()) {
    if (s.errors()[0].kind != ErrorKind::kInfeasible) return s;
    out->status = "unsupported", out->detail = s.errors()[0].message;
    return {};
  }
  Result<double> err = c.check(ctx);
  if (!err.ok()) return err.errors();
  out->max_rel_error = err.value();
  out->tags = c.tags();  // the check may have settled a variant (fp8 scale order)
  if (!(err.value() <= c.error_bound())) {
    out->status = "check_failed";
    out->detail = "max relative error " + std::to_string(err.value()) + " > bound " + std::to_string(c.error_bound());
    return {};
  }
  session.take_records();  // drop the setup/check activity: only timed launches are kept
  if (Status t = time_case(c, ctx, session, spec, reps, out, records); !t.ok()) return t;
  out->status = "ok";
  return {};
}

}  // namespace

Result<HarnessResult> run_harness(const HarnessSpec& spec) {
  if (Status v = validate_families(spec.families); !v.ok()) return v.errors();
  Result<DeviceInfo> device = probe_device(spec.device);
  if (!device.ok()) return device.errors();
  if (Result<const BlasApi*> api = load_blas(); !api.ok()) return api.errors();
  HarnessResult result;
  result.device = device.value();
  result.provenance = provenance_of(result.device);
  GpuRun run;  // declared first so that it outlives the session
  // Capture starts before the CUDA context exists (cudaSetDevice creates it), the order CUPTI
  // documents for complete concurrent-kernel tracing. The set-up activity is dropped per case.
  Result<std::unique_ptr<CuptiSession>> session = CuptiSession::start(CaptureSpec{});
  if (!session.ok()) return session.errors();
  if (Status s = run.init(spec.device, spec.seed); !s.ok()) return s.errors();
  CaseList cases = make_gemm_cases(spec);
  for (CaseList (*make)(const HarnessSpec&) : {&make_attention_cases, &make_memory_cases}) {
    for (auto& c : make(spec)) cases.push_back(std::move(c));
  }
  const int reps = spec.repetitions > 0 ? spec.repetitions : (spec.quick ? 5 : 20);
  result.repetitions = reps;
  for (auto& c : cases) {
    CaseResult out;
    run.ctx.seed = spec.seed + 1000 * result.cases.size();  // fresh inputs per case
    Status s = run_case(*c, run.ctx, *session.value(), spec, reps, &out, &result.records);
    if (!s.ok()) {
      std::vector<Error> errors = s.errors();
      errors[0].message = c->family() + " " + c->op().name + ": " + errors[0].message;
      return errors;
    }
    result.cases.push_back(std::move(out));
    c.reset();  // free its device memory before the next case
  }
  result.stats = session.value()->stats();
  return result;
}

#endif  // MOESIM_CUPTI_HAVE_KERNELS

}  // namespace moesim::profiler::cupti
