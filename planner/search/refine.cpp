#include "planner/search/refine.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <sstream>

namespace moesim::planner::search {

namespace {

void instance_yaml(std::ostringstream& y, const char* role, const InstanceCandidate& c, const std::string& cluster_file,
                   int instances) {
  y << role << ":\n  cluster: " << cluster_file << "\n  instances: " << instances << "\n"
    << "  attention: " << (c.attention_tp == 1 ? "dp" : "tp") << "\n  attention_tp: " << c.attention_tp << "\n"
    << "  redundant_experts: " << c.redundant_experts << "\n  micro_batches: 2\n";
  if (c.role == InstanceRole::kPrefill) {
    y << "  comm_sms: 20\n  token_budget_per_gpu: " << c.batch << "\n";
  } else {
    y << "  max_requests_per_gpu: " << c.batch << "\n";
  }
}

double percentile_of(const nlohmann::json& p, double pct) {
  if (pct >= 0.98 && p.contains("p99")) return p["p99"].get<double>();
  if (pct >= 0.75 && p.contains("p90")) return p["p90"].get<double>();
  return p.value("p50", 0.0);
}

}  // namespace

SimulationWindow steady_state_window(int64_t requested, const DeploymentPlan& d, const ServingLoad& load,
                                     double rate_per_s) {
  SimulationWindow w;
  if (requested > 0) {
    w.requests = requested;
    return w;
  }
  // A request stays TTFT + output tokens x TPOT. The decode batch fills when tokens in flight do,
  // and a token in flight belongs to a request of size-biased length E[o^2]/E[o] = (1 + cv^2) E[o]
  // for the lengths written below. Requests arriving in the first quarter (and the last, still
  // being served when the run ends) are left out of the metrics, so the run lasts four such
  // stays, at least a minute: the batch is full when measuring starts.
  const double biased = 1 + kPlanLengthCv * kPlanLengthCv;
  const double stay_s = d.prefill_est.latency_s + biased * load.mean_output_tokens * d.decode_est.latency_s;
  const double duration_s = std::max(kMinSimulatedWindowS, stay_s / w.warmup_fraction);
  w.requests = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(rate_per_s * duration_s)), kMinSimulatedRequests,
                                   kMaxSimulatedRequests);
  return w;
}

SimulatedFleet simulated_fleet(const DeploymentPlan& d) {
  const double ratio = static_cast<double>(d.prefill_instances) / std::max(1, d.decode_instances);
  SimulatedFleet best;
  double best_error = std::numeric_limits<double>::infinity();
  for (int decode = 1; decode <= std::min(kMaxSimulatedDecodeInstances, std::max(1, d.decode_instances)); ++decode) {
    const int prefill = std::max(1, static_cast<int>(std::lround(decode * ratio)));
    const double error = std::abs(prefill / (decode * ratio) - 1);
    if (error < best_error - 1e-12) best = {prefill, decode}, best_error = error;
    if (error <= kFleetRatioTolerance + 1e-9) break;
  }
  return best;
}

ScenarioFiles serving_scenario_for(const configs::PlanSpec& plan, const DeploymentPlan& d, const ServingLoad& load) {
  const configs::PlanGpuSpec& g = plan.gpus[static_cast<size_t>(d.decode.gpu_index)];
  const configs::ServingPlanSpec& s = plan.serving;
  ScenarioFiles f;
  f.command = "serve";
  f.files.emplace_back("prefill-cluster.yaml", cluster_yaml(g.node, d.prefill.nodes));
  f.files.emplace_back("decode-cluster.yaml", cluster_yaml(g.node, d.decode.nodes));
  const SimulatedFleet fleet = simulated_fleet(d);
  const double rate = load.requests_per_s * fleet.decode_instances / d.decode_instances;
  const SimulationWindow window = steady_state_window(s.simulated_requests, d, load, rate);
  std::ostringstream y;
  y << "name: plan-refine\nsource: \"written by moesim plan: " << d.key << "\"\n"
    << "model: " << plan.model_name << "\nmode: disaggregated\nseed: " << plan.seed << "\n"
    << "price_usd_per_gpu_hour: " << yaml_number(g.price_usd_per_gpu_hour) << "\n"
    << "precision:\n  gemm: " << models::to_string(d.decode.weight_dtype)
    << "\n  kv_cache: " << models::to_string(d.decode.kv_dtype) << "\n  dispatch: " << models::to_string(d.decode.dispatch_dtype)
    << "\n  combine: bf16\n  attention: bf16\n"
    << "workload:\n  requests: " << window.requests << "\n  warmup_fraction: " << yaml_number(window.warmup_fraction)
    << "\n  arrival: poisson\n  rate_per_s: " << yaml_number(rate) << "\n"
    << "  input_tokens: {distribution: lognormal, mean: " << yaml_number(load.mean_input_tokens)
    << ", cv: " << yaml_number(kPlanLengthCv) << "}\n"
    << "  output_tokens: {distribution: lognormal, mean: " << yaml_number(load.mean_output_tokens)
    << ", cv: " << yaml_number(kPlanLengthCv) << "}\n"
    << "  prefix_cache_hit_rate: " << yaml_number(s.load.prefix_cache_hit_rate) << "\n";
  instance_yaml(y, "prefill", d.prefill, "@DIR@/prefill-cluster.yaml", fleet.prefill_instances);
  instance_yaml(y, "decode", d.decode, "@DIR@/decode-cluster.yaml", fleet.decode_instances);
  y << "expert_load: {kind: " << (s.expert_zipf_exponent > 0 ? "zipf" : "balanced") << ", zipf_s: " << yaml_number(s.expert_zipf_exponent) << "}\n"
    << "mtp: {draft_tokens: " << s.mtp_draft_tokens << ", acceptance_rate: " << yaml_number(s.mtp_acceptance_rate) << "}\n"
    << "slo: {ttft: " << yaml_number(s.slo.ttft_s) << " s, tpot: " << yaml_number(s.slo.tpot_s) << " s}\n";
  f.scenario_yaml = y.str();
  return f;
}

SimulatedMetrics parse_serve_json(const std::string& text, const configs::ServingSloSpec& slo) {
  SimulatedMetrics m;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("ttft_s") || !j.contains("tpot_s")) {
    m.error = "simulate serve printed no ttft_s/tpot_s JSON";
    return m;
  }
  try {
    m.ttft_p_s = percentile_of(j["ttft_s"], slo.ttft_percentile);
    m.tpot_p_s = percentile_of(j["tpot_s"], slo.tpot_percentile);
    m.output_tokens_per_s_per_gpu = j.value("decode_output_tokens_per_s_per_gpu", 0.0);
  } catch (const std::exception& e) {
    m.error = std::string("unexpected simulate serve JSON: ") + e.what();
    return m;
  }
  m.ok = true;
  m.meets_slo = m.ttft_p_s <= slo.ttft_s && m.tpot_p_s <= slo.tpot_s;
  return m;
}

SimulatedMetrics serve_metrics_of(const SimulationRun& run, const configs::ServingSloSpec& slo) {
  if (run.exit_code != 0) {
    SimulatedMetrics m;
    m.error = "simulate serve exited " + std::to_string(run.exit_code) + ": " + run.error;
    return m;
  }
  SimulatedMetrics m = parse_serve_json(run.json, slo);
  m.cached = run.cached;
  return m;
}

void refine_top(const configs::PlanSpec& plan, const ServingLoad& load, std::vector<DeploymentPlan>* ranked, int k,
                const ScenarioRunner& runner, int jobs, const ProgressFn& progress) {
  const size_t n = std::min(ranked->size(), static_cast<size_t>(std::max(0, k)));
  for_each_parallel(n, jobs, [&](size_t i) {
    DeploymentPlan& d = (*ranked)[i];
    d.simulated = serve_metrics_of(runner.run(serving_scenario_for(plan, d, load)), plan.serving.slo);
  }, progress);
}

void apply_refinement(std::vector<DeploymentPlan>* ranked, int k) {
  const auto end = ranked->begin() + static_cast<std::ptrdiff_t>(std::min(ranked->size(), static_cast<size_t>(std::max(0, k))));
  auto group = [](const DeploymentPlan& d) { return !d.simulated.ok ? 1 : d.simulated.meets_slo ? 0 : 2; };
  std::stable_sort(ranked->begin(), end, [&](const DeploymentPlan& a, const DeploymentPlan& b) { return group(a) < group(b); });
  for (auto it = ranked->begin(); it != end; ++it) {
    const SimulatedMetrics& m = it->simulated;
    if (!m.ok) continue;
    char buf[160];
    std::snprintf(buf, sizeof buf, "; simulation %s the SLO (TTFT %.2f s, TPOT %.1f ms, %.0f output tokens/s per decode GPU)",
                  m.meets_slo ? "confirms" : "misses", m.ttft_p_s, m.tpot_p_s * 1e3, m.output_tokens_per_s_per_gpu);
    it->why += buf;
  }
}

}  // namespace moesim::planner::search
