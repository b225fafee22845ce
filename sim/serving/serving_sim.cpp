#include "sim/serving/serving_sim.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/serving/prefill_batch.hpp"
#include "sim/serving/serving_loop.hpp"
#include "sim/serving/workload.hpp"

namespace moesim::sim::serving {

namespace {

Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))]; };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return p;
}

double tokens_per_step(const configs::MtpSpec& mtp) {
  double t = 1, p = 1;
  for (int64_t k = 0; k < mtp.draft_tokens; ++k) t += (p *= mtp.acceptance_rate);
  return t;
}

// Largest per-group decode batch whose TPOT meets the SLO (at least 1), within the KV limit.
int64_t auto_decode_limit(const InstanceModel& dec, double ctx, int64_t kv_limit, double tps, double tpot_slo) {
  int64_t lo = 1, hi = std::max<int64_t>(1, std::min<int64_t>(kv_limit, 4096));
  if (dec.decode_step_s(hi, ctx) / tps <= tpot_slo) return hi;
  while (hi - lo > 1) {
    const int64_t mid = (lo + hi) / 2;
    (dec.decode_step_s(mid, ctx) / tps <= tpot_slo ? lo : hi) = mid;
  }
  return lo;
}

struct Means {
  double input = 0, output = 0, cached = 0;
};

Means means_of(const configs::ServingScenarioSpec& s, const std::vector<RequestRecord>* trace) {
  Means m;
  if (trace != nullptr) {
    for (const RequestRecord& r : *trace) {
      m.input += static_cast<double>(r.input_tokens);
      m.output += static_cast<double>(r.output_tokens);
      m.cached += static_cast<double>(r.cached_tokens);
    }
    const double n = static_cast<double>(trace->size());
    return {m.input / n, m.output / n, m.cached / n};
  }
  m.input = mean_length(s.workload.input_tokens);
  m.output = mean_length(s.workload.output_tokens);
  m.cached = m.input * s.workload.prefix_cache_hit_rate;
  return m;
}

// A full token-budget prefill batch of mean-shaped requests: (sequences, new tokens, context) per group.
struct FullBatch {
  double seqs = 1, per_seq = 1, context = 1;
};
FullBatch full_batch(int64_t budget_per_gpu, int tp, const Means& m) {
  FullBatch f;
  const double fresh = std::max(1.0, m.input - m.cached);
  f.per_seq = std::min(fresh, static_cast<double>(budget_per_gpu * tp));
  f.seqs = static_cast<double>(budget_per_gpu * tp) / f.per_seq;
  f.context = m.cached + f.per_seq;
  return f;
}

// Requests whose lengths size the prefill capacity: the trace when replaying, else the workload's
// own length distributions (the same draws at any rate).
constexpr int64_t kCapacitySampleRequests = 20000;
std::vector<RequestRecord> capacity_sample(const configs::ServingScenarioSpec& s, const std::vector<RequestRecord>* trace) {
  if (trace != nullptr) return *trace;
  configs::ServingWorkloadSpec w = s.workload;
  w.requests = std::min(w.requests, kCapacitySampleRequests);
  return generate_requests(w, 1.0, s.seed);
}

// Fills the loop's limits and the operating point: the decode request limit (given, or the largest
// meeting the TPOT SLO), each stage's capacity, the prefill instance count and the arrival rate.
void resolve_operating_point(const configs::ServingScenarioSpec& s, const InstanceModel& pre, const InstanceModel& dec,
                             const Means& m, const std::vector<RequestRecord>& sample, LoopConfig* out,
                             ServingResult* res) {
  LoopConfig& cfg = *out;
  ServingResult& r = *res;
  const int tp_dec = static_cast<int>(s.decode.attention == configs::AttentionParallel::kTp ? s.decode.attention_tp : 1);
  const int tp_pre = static_cast<int>(s.prefill.attention == configs::AttentionParallel::kTp ? s.prefill.attention_tp : 1);

  cfg.disaggregated = s.disaggregated;
  cfg.prefill = &pre;
  cfg.decode = &dec;
  cfg.kv_capacity_per_group = dec.memory().kv_capacity_tokens;
  cfg.prefill_budget_tokens = s.prefill.token_budget_per_gpu * pre.gpus();
  cfg.draft_tokens = s.mtp.draft_tokens;
  cfg.acceptance_rate = s.mtp.acceptance_rate;
  cfg.seed = s.seed;
  const double tps = tokens_per_step(s.mtp);
  const double ctx = m.input + m.output / 2;
  const int64_t kv_limit = static_cast<int64_t>(cfg.kv_capacity_per_group / std::max(1.0, m.input + m.output));
  cfg.max_requests_per_group = s.decode.max_requests_per_gpu > 0
                                   ? s.decode.max_requests_per_gpu * tp_dec
                                   : auto_decode_limit(dec, ctx, kv_limit, tps, s.slo.tpot_s);
  const int64_t b = std::max<int64_t>(1, std::min(cfg.max_requests_per_group, kv_limit));
  r.decode_capacity_rps = dec.attention_groups() * static_cast<double>(b) * tps /
                          dec.decode_step_s(b, ctx) / std::max(1.0, m.output - 1);
  r.prefill_capacity_rps = prefill_capacity_rps(pre, sample, s.prefill.token_budget_per_gpu * pre.gpus());
  const FullBatch fb = full_batch(s.prefill.token_budget_per_gpu, tp_pre, m);
  r.prefill_full_step = pre.prefill_breakdown(fb.seqs, fb.per_seq, fb.context);
  r.decode_limit_step = dec.decode_breakdown(b, ctx);
  cfg.decode_instances = static_cast<int>(std::max<int64_t>(1, s.decode.instances));
  // Auto: enough prefill units to keep up with the decode units (rounding down would leave the
  // fleet prefill-bound and its queue growing at loads near capacity).
  const double prefill_needed = cfg.decode_instances * r.decode_capacity_rps / r.prefill_capacity_rps;
  cfg.prefill_instances = static_cast<int>(
      s.prefill.instances > 0 ? s.prefill.instances
                              : std::max<int64_t>(1, static_cast<int64_t>(std::ceil(prefill_needed - 1e-9))));
  double capacity = s.disaggregated ? std::min(cfg.prefill_instances * r.prefill_capacity_rps, cfg.decode_instances * r.decode_capacity_rps)
                                    : cfg.decode_instances / (1 / r.prefill_capacity_rps + 1 / r.decode_capacity_rps);
  r.arrival_rate_per_s = s.workload.rate_per_s > 0 ? s.workload.rate_per_s : s.workload.load * capacity;
  r.mean_input_tokens = m.input;
  r.mean_output_tokens = m.output;
}

void describe_instances(const configs::ServingScenarioSpec& s, const LoopConfig& cfg, const InstanceModel& pre,
                        const InstanceModel& dec, ServingResult* res) {
  ServingResult& r = *res;
  const int tp_dec = static_cast<int>(s.decode.attention == configs::AttentionParallel::kTp ? s.decode.attention_tp : 1);
  r.prefill_instances = s.disaggregated ? cfg.prefill_instances : 0;
  r.decode_instances = cfg.decode_instances;
  r.prefill_nodes_per_instance = pre.nodes();
  r.decode_nodes_per_instance = dec.nodes();
  r.prefill_gpus_per_instance = pre.gpus();
  r.decode_gpus_per_instance = dec.gpus();
  r.decode_max_requests_per_gpu = cfg.max_requests_per_group / tp_dec;
  r.prefill_memory = pre.memory();
  r.decode_memory = dec.memory();
  r.prefill_comm = pre.comm();
  r.decode_comm = dec.comm();
  r.prefill_max_over_mean_expert_rows = pre.max_over_mean_expert_rows();
  r.decode_max_over_mean_expert_rows = dec.max_over_mean_expert_rows();
}

void window_metrics(const configs::ServingScenarioSpec& s, const LoopConfig& cfg, const ServingLoop& loop,
                    const std::vector<RequestRecord>& reqs, ServingResult* r);

}  // namespace

Result<ServingResult> simulate_serving(const configs::ServingScenarioSpec& scenario, const models::CostModel& cost,
                                       const ServingOptions& options) {
  configs::ServingScenarioSpec s = scenario;
  if (!s.disaggregated) {  // colocated: the decode pool also prefills, with the prefill section's budget
    const int64_t budget = s.prefill.token_budget_per_gpu;
    s.prefill = s.decode;
    s.prefill.token_budget_per_gpu = budget;
  }
  // Input files first: a bad trace fails before any simulation runs.
  std::vector<RequestRecord> trace;
  const bool replay = s.workload.arrival == configs::ArrivalProcess::kTrace;
  if (replay) {
    Result<std::vector<RequestRecord>> t = read_request_trace(s.workload.trace_path);
    if (!t.ok()) return t.errors();
    trace = std::move(t).value();
  }
  Result<InstanceModel> pre = InstanceModel::build(s, Role::kPrefill, cost);
  if (!pre.ok()) return pre.errors();
  Result<InstanceModel> dec = InstanceModel::build(s, Role::kDecode, cost);
  if (!dec.ok()) return dec.errors();

  ServingResult r;
  LoopConfig cfg;
  resolve_operating_point(s, pre.value(), dec.value(), means_of(s, replay ? &trace : nullptr),
                          capacity_sample(s, replay ? &trace : nullptr), &cfg, &r);

  std::vector<RequestRecord> reqs = replay ? trace : generate_requests(s.workload, r.arrival_rate_per_s, s.seed);
  for (size_t i = 0; i < reqs.size(); ++i) {
    const double need = static_cast<double>(reqs[i].input_tokens + reqs[i].output_tokens);
    if (need > cfg.kv_capacity_per_group)
      return infeasible("request " + std::to_string(i) + " needs " + std::to_string(static_cast<int64_t>(need)) +
                        " KV tokens but a decode GPU holds " + std::to_string(static_cast<int64_t>(cfg.kv_capacity_per_group)) +
                        " (limit: KV-cache capacity after weights)");
  }
  ServingLoop loop(cfg, reqs);
  loop.run(options);

  describe_instances(s, cfg, pre.value(), dec.value(), &r);
  r.kv_utilization_peak = loop.kv_peak_fraction();
  window_metrics(s, cfg, loop, reqs, &r);
  if (options.record_iterations) {
    for (const IterationStat& st : loop.iterations()) {
      if (r.iterations.size() >= options.max_iterations_recorded) break;
      r.iterations.push_back({st.role, st.instance, st.start_s, st.end_s - st.start_s, st.batch,
                              st.role == 0 ? st.input_tokens : st.output_tokens});
    }
  }
  r.outcomes = loop.outcomes();
  return r;
}

namespace {

void window_metrics(const configs::ServingScenarioSpec& s, const LoopConfig& cfg, const ServingLoop& loop,
                    const std::vector<RequestRecord>& reqs, ServingResult* r) {
  const std::vector<RequestOutcome>& out = loop.outcomes();
  const size_t n = out.size();
  r->requests = static_cast<int64_t>(n);
  const size_t lo = static_cast<size_t>(s.workload.warmup_fraction * static_cast<double>(n));
  const size_t hi = std::max(lo + 1, n - lo);
  const double t0 = reqs[lo].arrival_s, t1 = std::max(reqs[hi - 1].arrival_s, t0 + 1e-9);
  r->window_s = t1 - t0;
  std::vector<double> ttft, tpot, e2e;
  int64_t good = 0;
  double in_system = 0;
  for (size_t i = 0; i < n; ++i) {
    const RequestOutcome& o = out[i];
    if (o.finish_s >= 0) {
      ++r->completed;
      r->simulated_s = std::max(r->simulated_s, o.finish_s);
      in_system += std::max(0.0, std::min(o.finish_s, t1) - std::max(o.arrival_s, t0));
    }
    if (i < lo || i >= hi || o.finish_s < 0) continue;
    ++r->measured;
    ttft.push_back(o.first_token_s - o.arrival_s);
    e2e.push_back(o.finish_s - o.arrival_s);
    const double tp = o.output_tokens > 1 ? (o.finish_s - o.first_token_s) / static_cast<double>(o.output_tokens - 1) : 0;
    if (o.output_tokens > 1) tpot.push_back(tp);
    if (ttft.back() <= s.slo.ttft_s && tp <= s.slo.tpot_s) ++good;
  }
  r->ttft_s = percentiles(ttft);
  r->tpot_s = percentiles(tpot);
  r->e2e_s = percentiles(e2e);
  r->goodput_rps = static_cast<double>(good) / r->window_s;
  r->throughput_rps = static_cast<double>(r->measured) / r->window_s;
  r->slo_attainment = r->measured > 0 ? static_cast<double>(good) / static_cast<double>(r->measured) : 0;
  r->little_mean_in_system = in_system / r->window_s;

  double in_tok = 0, out_tok = 0, pre_busy = 0, dec_busy = 0, batch_time = 0, kv_time = 0;
  for (const IterationStat& st : loop.iterations()) {
    if (st.end_s < t0 || st.end_s > t1) continue;
    const double dur = st.end_s - st.start_s;
    in_tok += static_cast<double>(st.input_tokens);
    out_tok += static_cast<double>(st.output_tokens);
    if (st.role == 0) {
      pre_busy += dur;
    } else {
      dec_busy += dur;
      batch_time += static_cast<double>(st.batch) * dur;
      if (st.kv_capacity > 0) kv_time += st.kv_used / st.kv_capacity * dur;
    }
  }
  const double pre_nodes = r->prefill_nodes_per_instance, dec_nodes = r->decode_nodes_per_instance;
  // Colocated: the pool's iterations do both jobs, so both rates are per node of the pool.
  const double in_busy = cfg.disaggregated ? pre_busy : dec_busy;
  const double in_nodes = cfg.disaggregated ? pre_nodes : dec_nodes;
  const double in_instances = cfg.disaggregated ? cfg.prefill_instances : cfg.decode_instances;
  if (in_busy > 0) r->prefill_input_tokens_per_s_per_node = in_tok / (in_busy * in_nodes);
  if (dec_busy > 0) r->decode_output_tokens_per_s_per_node = out_tok / (dec_busy * dec_nodes);
  r->prefill_input_tokens_per_s_per_gpu = r->prefill_input_tokens_per_s_per_node * in_nodes /
                                          (cfg.disaggregated ? r->prefill_gpus_per_instance : r->decode_gpus_per_instance);
  r->decode_output_tokens_per_s_per_gpu = r->decode_output_tokens_per_s_per_node * dec_nodes / r->decode_gpus_per_instance;
  r->prefill_input_tokens_per_s_per_provisioned_node = in_tok / (r->window_s * in_nodes * in_instances);
  r->decode_output_tokens_per_s_per_provisioned_node = out_tok / (r->window_s * dec_nodes * cfg.decode_instances);
  r->prefill_utilization = in_busy / (r->window_s * in_instances);
  r->decode_utilization = dec_busy / (r->window_s * cfg.decode_instances);
  if (dec_busy > 0) {
    r->mean_decode_batch_per_gpu = batch_time / dec_busy / r->decode_gpus_per_instance;
    r->kv_utilization_mean = kv_time / dec_busy;
  }
  double weighted = 0, outs = 0;
  for (size_t i = lo; i < hi; ++i) {
    const double o = static_cast<double>(out[i].output_tokens);
    weighted += o * (static_cast<double>(out[i].input_tokens) + o / 2);
    outs += o;
  }
  r->mean_decode_context_tokens = outs > 0 ? weighted / outs : 0;
  const double price = s.price_usd_per_gpu_hour > 0 ? s.price_usd_per_gpu_hour : s.decode.cluster.gpu.price_usd_per_gpu_hour;
  const double pre_usd_s = cfg.disaggregated ? cfg.prefill_instances * r->prefill_gpus_per_instance * price / 3600 : 0;
  const double dec_usd_s = cfg.decode_instances * r->decode_gpus_per_instance * price / 3600;
  const double in_rate = in_tok / r->window_s, out_rate = out_tok / r->window_s;
  if (cfg.disaggregated) {
    if (in_rate > 0) r->cost_per_mtoken_input_usd = pre_usd_s / in_rate * 1e6;
    if (out_rate > 0) r->cost_per_mtoken_output_usd = dec_usd_s / out_rate * 1e6;
  } else if (in_rate + out_rate > 0) {
    r->cost_per_mtoken_input_usd = r->cost_per_mtoken_output_usd = dec_usd_s / (in_rate + out_rate) * 1e6;
  }
}

}  // namespace

std::string iterations_chrome_trace(const ServingResult& result) {
  nlohmann::json events = nlohmann::json::array();
  for (int role : {0, 1}) {  // process names: pid 0 = prefill instances, pid 1 = decode instances
    events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", role},
                      {"args", {{"name", role == 0 ? "prefill instances" : "decode instances"}}}});
  }
  for (const IterationEvent& e : result.iterations) {
    events.push_back({{"name", e.role == 0 ? "prefill" : "decode"},
                      {"ph", "X"},
                      {"pid", e.role},
                      {"tid", e.instance},
                      {"ts", e.start_s * 1e6},
                      {"dur", e.duration_s * 1e6},
                      {"args", {{"batch", e.batch}, {"tokens", e.tokens}}}});
  }
  return nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() + "\n";
}

}  // namespace moesim::sim::serving
