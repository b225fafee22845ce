// `moesim simulate serve [SCENARIO] [--json] [--trace-out FILE] [--requests N] [--seed S]`: a
// request-level serving run of a scenario (catalog name or YAML path; default the T2 deployment).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/cost_model_factory.hpp"
#include "cli/spec_json.hpp"
#include "configs/serving_scenario.hpp"
#include "sim/serving/serving_sim.hpp"

namespace moesim::cli {

namespace {

constexpr const char* kDefaultScenario = "deepseek-v3-serving-h800";

nlohmann::json instance_json(const configs::ServingInstanceSpec& i) {
  return {{"cluster", to_json(i.cluster)},
          {"instances", i.instances},
          {"attention", i.attention == configs::AttentionParallel::kDp ? "dp" : "tp"},
          {"attention_tp", i.attention_tp},
          {"ep", i.ep},
          {"redundant_experts", i.redundant_experts},
          {"micro_batches", i.micro_batches},
          {"comm_sms", i.comm_sms},
          {"token_budget_per_gpu", i.token_budget_per_gpu},
          {"max_requests_per_gpu", i.max_requests_per_gpu},
          {"activation_reserve_bytes", i.activation_reserve_bytes},
          {"placement", i.placement_path}};
}

nlohmann::json length_json(const configs::LengthSpec& l) {
  static const char* kNames[] = {"fixed", "uniform", "exponential", "lognormal"};
  return {{"distribution", kNames[static_cast<int>(l.distribution)]}, {"mean", l.mean}, {"cv", l.cv},
          {"min", l.min}, {"max", l.max}};
}

nlohmann::json scenario_json(const configs::ServingScenarioSpec& s) {
  static const char* kArrival[] = {"poisson", "gamma", "trace"};
  static const char* kLoads[] = {"balanced", "zipf", "measured"};
  const configs::ServingWorkloadSpec& w = s.workload;
  return {{"name", s.name},
          {"model", to_json(s.model)},
          {"mode", s.disaggregated ? "disaggregated" : "colocated"},
          {"seed", s.seed},
          {"price_usd_per_gpu_hour", s.price_usd_per_gpu_hour},
          {"precision",
           {{"gemm", models::to_string(s.gemm_dtype)}, {"attention", models::to_string(s.attention_dtype)},
            {"kv_cache", models::to_string(s.kv_cache_dtype)}, {"dispatch", models::to_string(s.dispatch_dtype)},
            {"combine", models::to_string(s.combine_dtype)}}},
          {"workload",
           {{"requests", w.requests}, {"arrival", kArrival[static_cast<int>(w.arrival)]}, {"rate_per_s", w.rate_per_s},
            {"load", w.load}, {"gamma_cv", w.gamma_cv}, {"trace", w.trace_path},
            {"input_tokens", length_json(w.input_tokens)}, {"output_tokens", length_json(w.output_tokens)},
            {"prefix_cache_hit_rate", w.prefix_cache_hit_rate}, {"warmup_fraction", w.warmup_fraction}}},
          {"prefill", s.disaggregated ? instance_json(s.prefill) : nlohmann::json()},
          {"decode", instance_json(s.decode)},
          {"expert_load",
           {{"kind", kLoads[static_cast<int>(s.expert_load.kind)]}, {"zipf_s", s.expert_load.zipf_s},
            {"file", s.expert_load.path}}},
          {"mtp", {{"draft_tokens", s.mtp.draft_tokens}, {"acceptance_rate", s.mtp.acceptance_rate}}},
          {"slo", {{"ttft_s", s.slo.ttft_s}, {"tpot_s", s.slo.tpot_s}}}};
}

nlohmann::json pct(const sim::serving::Percentiles& p) {
  return {{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"mean", p.mean}};
}

nlohmann::json memory_json(const sim::serving::MemoryBudget& m) {
  return {{"usable_bytes", m.usable_bytes}, {"weight_bytes", m.weight_bytes}, {"reserve_bytes", m.reserve_bytes},
          {"kv_bytes_per_token", m.kv_bytes_per_token}, {"kv_capacity_tokens_per_attention_group", m.kv_capacity_tokens}};
}

nlohmann::json comm_json(const sim::serving::CommTable& c) {
  return {{"tokens_per_gpu", c.tokens}, {"dispatch_s", c.dispatch_s}, {"combine_s", c.combine_s}};
}

nlohmann::json result_json(const configs::ServingScenarioSpec& s, const sim::serving::ServingResult& r,
                           const std::string& cost_model) {
  const nlohmann::json config = scenario_json(s);
  return {{"schema_version", kSchemaVersion},
          {"command", "simulate serve"},
          {"scenario", s.name},
          {"config_hash", config_hash(config)},
          {"seed", s.seed},
          {"resolved_config", config},
          {"cost_model", cost_model},
          {"deployment",
           {{"arrival_rate_per_s", r.arrival_rate_per_s}, {"prefill_instances", r.prefill_instances},
            {"decode_instances", r.decode_instances}, {"prefill_nodes_per_instance", r.prefill_nodes_per_instance},
            {"decode_nodes_per_instance", r.decode_nodes_per_instance},
            {"decode_max_requests_per_gpu", r.decode_max_requests_per_gpu},
            {"prefill_capacity_rps_per_instance", r.prefill_capacity_rps},
            {"decode_capacity_rps_per_instance", r.decode_capacity_rps},
            {"prefill_max_over_mean_expert_rows", r.prefill_max_over_mean_expert_rows},
            {"decode_max_over_mean_expert_rows", r.decode_max_over_mean_expert_rows}}},
          {"memory_per_gpu", {{"prefill", memory_json(r.prefill_memory)}, {"decode", memory_json(r.decode_memory)}}},
          {"all_to_all", {{"prefill", comm_json(r.prefill_comm)}, {"decode", comm_json(r.decode_comm)}}},
          {"requests", {{"total", r.requests}, {"completed", r.completed}, {"measured", r.measured}}},
          {"window_s", r.window_s},
          {"simulated_s", r.simulated_s},
          {"ttft_s", pct(r.ttft_s)},
          {"tpot_s", pct(r.tpot_s)},
          {"e2e_latency_s", pct(r.e2e_s)},
          {"prefill_input_tokens_per_s_per_node", r.prefill_input_tokens_per_s_per_node},
          {"decode_output_tokens_per_s_per_node", r.decode_output_tokens_per_s_per_node},
          {"prefill_input_tokens_per_s_per_gpu", r.prefill_input_tokens_per_s_per_gpu},
          {"decode_output_tokens_per_s_per_gpu", r.decode_output_tokens_per_s_per_gpu},
          {"prefill_input_tokens_per_s_per_provisioned_node", r.prefill_input_tokens_per_s_per_provisioned_node},
          {"decode_output_tokens_per_s_per_provisioned_node", r.decode_output_tokens_per_s_per_provisioned_node},
          {"utilization", {{"prefill", r.prefill_utilization}, {"decode", r.decode_utilization}}},
          {"mean_decode_batch_per_gpu", r.mean_decode_batch_per_gpu},
          {"mean_kv_length_per_output_token", r.mean_decode_context_tokens},
          {"throughput_rps", r.throughput_rps},
          {"goodput_rps", r.goodput_rps},
          {"slo_attainment", r.slo_attainment},
          {"kv_cache_utilization", {{"mean", r.kv_utilization_mean}, {"peak", r.kv_utilization_peak}}},
          {"cost_per_mtoken_usd", {{"input", r.cost_per_mtoken_input_usd}, {"output", r.cost_per_mtoken_output_usd}}}};
}

void print_table(const nlohmann::json& j) {
  std::printf("scenario %s (config %s, seed %s)\n", j["scenario"].get<std::string>().c_str(),
              j["config_hash"].get<std::string>().c_str(), j["seed"].dump().c_str());
  const auto& d = j["deployment"];
  std::printf("deployment: %lld prefill x %d nodes, %lld decode x %d nodes, %.1f req/s, decode limit %lld req/GPU\n",
              d["prefill_instances"].get<long long>(), d["prefill_nodes_per_instance"].get<int>(),
              d["decode_instances"].get<long long>(), d["decode_nodes_per_instance"].get<int>(),
              d["arrival_rate_per_s"].get<double>(), d["decode_max_requests_per_gpu"].get<long long>());
  for (const char* k : {"ttft_s", "tpot_s", "e2e_latency_s"})
    std::printf("%-14s p50 %9.4f  p90 %9.4f  p99 %9.4f s\n", k, j[k]["p50"].get<double>(), j[k]["p90"].get<double>(),
                j[k]["p99"].get<double>());
  std::printf("prefill input tokens/s per node   %10.0f\n", j["prefill_input_tokens_per_s_per_node"].get<double>());
  std::printf("decode output tokens/s per node   %10.0f\n", j["decode_output_tokens_per_s_per_node"].get<double>());
  std::printf("goodput %.2f req/s (SLO attainment %.1f %%), KV-cache utilization mean %.1f %% peak %.1f %%\n",
              j["goodput_rps"].get<double>(), 100 * j["slo_attainment"].get<double>(),
              100 * j["kv_cache_utilization"]["mean"].get<double>(), 100 * j["kv_cache_utilization"]["peak"].get<double>());
  std::printf("cost per M tokens: input $%.4f, output $%.4f\n", j["cost_per_mtoken_usd"]["input"].get<double>(),
              j["cost_per_mtoken_usd"]["output"].get<double>());
}

struct ServeArgs {
  std::string scenario = kDefaultScenario;
  bool json = false;
  std::string trace_out;
  int64_t requests = 0;
  int64_t seed = -1;
  std::vector<std::string> calibration;
};

int run_serve(const ServeArgs& a) {
  Result<configs::ServingScenarioSpec> spec = configs::load_serving_scenario(a.scenario);
  if (!spec.ok()) return report_errors(spec.errors());
  configs::ServingScenarioSpec s = std::move(spec).value();
  if (a.requests > 0) s.workload.requests = a.requests;
  if (a.seed >= 0) s.seed = static_cast<uint64_t>(a.seed);
  Result<CostModelChoice> cost = make_cost_model(a.calibration);
  if (!cost.ok()) return report_errors(cost.errors());
  sim::serving::ServingOptions opt;
  opt.record_iterations = !a.trace_out.empty();
  if (::isatty(STDERR_FILENO)) {  // a progress bar only for a person watching
    opt.progress = [](double f) {
      const int width = 40, filled = static_cast<int>(f * width);
      std::fprintf(stderr, "\r[%s%s] %3.0f %%", std::string(static_cast<size_t>(filled), '#').c_str(),
                   std::string(static_cast<size_t>(width - filled), ' ').c_str(), 100 * f);
      if (f >= 1.0) std::fprintf(stderr, "\n");
    };
  }
  Result<sim::serving::ServingResult> r = sim::serving::simulate_serving(s, *cost.value().model, opt);
  if (!r.ok()) return report_errors(r.errors());
  if (!a.trace_out.empty()) {
    Status w = write_file_atomically(a.trace_out, sim::serving::iterations_chrome_trace(r.value()));
    if (!w.ok()) return report_errors(w.errors());
  }
  const nlohmann::json j = result_json(s, r.value(), cost.value().description);
  if (a.json) print_json(j);
  else print_table(j);
  return 0;
}


}  // namespace

void add_serve_commands(CLI::App& app, CommandRunner& runner) {
  CLI::App* sub = simulate_group(app)->add_subcommand(
      "serve", "Request-level serving run: TTFT/TPOT percentiles, tokens/s per node, goodput, $/Mtoken");
  auto a = std::make_shared<ServeArgs>();
  sub->add_option("scenario", a->scenario, "Serving scenario: catalog name or YAML path")
      ->default_str(kDefaultScenario);
  sub->add_flag("--json", a->json, "Print one JSON document");
  sub->add_option("--trace-out", a->trace_out, "Write a Chrome trace of every instance iteration to FILE");
  sub->add_option("--requests", a->requests, "Override the scenario's number of requests")->check(CLI::PositiveNumber);
  sub->add_option("--seed", a->seed, "Override the scenario's seed")->check(CLI::NonNegativeNumber);
  add_calibration_option(sub, &a->calibration);
  runner.on(sub, [a] { return run_serve(*a); });
}

}  // namespace moesim::cli
