// `moesim simulate train [SCENARIO] [--json] [--trace-out FILE]`: one optimizer step of a training
// scenario (catalog name or YAML path; default deepseek-v3-pretrain-h800) simulated on its cluster.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/cost_model_factory.hpp"
#include "cli/spec_json.hpp"
#include "configs/training_scenario.hpp"
#include "sim/network_calibration.hpp"
#include "sim/training_step.hpp"

namespace moesim::cli {

namespace {

constexpr const char* kDefaultScenario = "deepseek-v3-pretrain-h800";

nlohmann::json scenario_json(const configs::TrainingScenario& s) {
  return {{"name", s.name},
          {"model", to_json(s.model)},
          {"cluster", to_json(s.cluster)},
          {"schedule", configs::schedule_name(s.schedule)},
          {"parallelism", {{"pp", s.pp}, {"dp", s.dp}, {"ep", s.ep}, {"tp", s.tp}}},
          {"batch",
           {{"global_sequences", s.global_batch_sequences},
            {"sequence_tokens", s.sequence_tokens},
            {"micro_batch_sequences", s.micro_batch_sequences},
            {"micro_batches", s.micro_batches()}}},
          {"precision",
           {{"gemm", models::to_string(s.gemm_dtype)},
            {"dispatch", models::to_string(s.dispatch_dtype)},
            {"combine", models::to_string(s.combine_dtype)}}},
          {"communication",
           {{"enabled", s.communication}, {"overlap", s.overlap_comm}, {"sms", s.comm_sms},
            {"routing_seed", s.routing_seed}}},
          {"memory",
           {{"recompute", static_cast<int>(s.recompute)},
            {"zero", static_cast<int>(s.state.zero)},
            {"weight_bytes", s.state.weight_bytes},
            {"gradient_bytes", s.state.gradient_bytes},
            {"master_weight_bytes", s.state.master_weight_bytes},
            {"optimizer_state_bytes", s.state.optimizer_state_bytes},
            {"hbm_check", s.enforce_hbm_limit ? "error" : "warn"}}},
          {"cost", {{"price_usd_per_gpu_hour", s.price_usd_per_gpu_hour}, {"token_budget", s.token_budget}}}};
}

nlohmann::json result_json(const configs::TrainingScenario& s, const sim::TrainingResult& r,
                           const sim::NetworkCalibration& cal, const std::string& cost_model) {
  const nlohmann::json config = scenario_json(s);
  const sim::TrainingBreakdown& b = r.breakdown;
  const sim::TrainingCommTimes& c = r.comm;
  nlohmann::json stages = nlohmann::json::array();
  for (const sim::StageCompute& st : r.stages) {
    stages.push_back({{"layers", {st.first_layer, st.last_layer}},
                      {"moe_layers", st.moe_layers},
                      {"forward_s", st.forward_s},
                      {"backward_input_s", st.backward_input_s},
                      {"backward_weight_s", st.backward_weight_s},
                      {"activation_bytes", st.activation_bytes}});
  }
  return {{"schema_version", kSchemaVersion},
          {"command", "simulate train"},
          {"scenario", s.name},
          {"config_hash", config_hash(config)},
          {"seed", s.routing_seed},
          {"resolved_config", config},
          {"step_time_s", r.step_time_s},
          {"breakdown_s",
           {{"forward", b.forward_s}, {"backward_input", b.backward_input_s}, {"backward_weight", b.backward_weight_s},
            {"bubble", b.bubble_s}, {"exposed_comm", b.exposed_comm_s}, {"optimizer", b.optimizer_s}}},
          {"mfu_causal", r.mfu_causal},
          {"mfu_noncausal", r.mfu_noncausal},
          {"tokens_per_s", r.tokens_per_s},
          {"gpu_hours_per_trillion_tokens", r.gpu_hours_per_trillion_tokens},
          {"cost_usd", r.cost_usd},
          {"token_budget", r.token_budget},
          {"memory_per_gpu_bytes", r.memory_per_gpu_bytes},
          {"hbm_bytes", r.hbm_bytes},
          {"memory_fits", r.memory_fits},
          {"warnings", r.warnings},
          {"micro_batches", r.micro_batches},
          {"communication_s",
           {{"dispatch_forward", c.dispatch_forward_s}, {"combine_forward", c.combine_forward_s},
            {"dispatch_backward", c.dispatch_backward_s}, {"combine_backward", c.combine_backward_s},
            {"pipeline_send", c.p2p_s}, {"dp_reduce_scatter", c.dp_reduce_scatter_s},
            {"dp_all_gather", c.dp_all_gather_s}, {"tp_collective", c.tp_collective_s}}},
          {"expert_imbalance", c.expert_imbalance},
          {"stages", stages},
          {"cost_model", cost_model},
          {"network_calibration", cal.source}};
}

// Chrome trace: pid = pipeline rank, tid 0 = compute stream, tid 1 = all-to-all / DP comm stream,
// tid 2 (tp > 1) = the chunk's tensor-parallel all-gathers / reduce-scatters, drawn as one block
// at its start (they are interleaved with its layers).
nlohmann::json chrome_trace(const configs::TrainingScenario& s, const sim::TrainingResult& r) {
  nlohmann::json events = nlohmann::json::array();
  auto event = [&](const std::string& name, const char* cat, int pid, int tid, double start_s, double dur_s) {
    if (dur_s <= 0) return;
    events.push_back({{"name", name}, {"cat", cat}, {"ph", "X"}, {"pid", pid}, {"tid", tid},
                      {"ts", start_s * 1e6}, {"dur", dur_s * 1e6}});
  };
  const sim::TrainingCommTimes& c = r.comm;
  auto fwd_comm = [&](int v) { return r.stages[v].moe_layers * (c.dispatch_forward_s + c.combine_forward_s); };
  auto bwd_comm = [&](int v) { return r.stages[v].moe_layers * (c.dispatch_backward_s + c.combine_backward_s); };
  const bool overlap = s.communication && s.overlap_comm && s.schedule == configs::PipelineSchedule::kDualPipe;
  auto tp_comm = [&](int v) { return r.stages[v].tp_collectives * c.tp_collective_s; };
  for (const sim::PipelineEvent& e : r.pipeline.events) {
    const double d = e.end_s - e.start_s;
    event(e.name + " (stage " + std::to_string(e.stage) + ")", "compute", e.rank, 0, e.start_s, d);
    const bool pair = e.name.find('+') != std::string::npos;
    if (pair || e.name[0] == 'F' || e.name[0] == 'B' || e.name[0] == 'I') {
      const double tp = pair ? tp_comm(e.stage) + tp_comm(e.stage2) : tp_comm(e.stage);
      const int n = pair ? r.stages[e.stage].tp_collectives + r.stages[e.stage2].tp_collectives : r.stages[e.stage].tp_collectives;
      event("TP all-gather/reduce-scatter x" + std::to_string(n) + " " + e.name, "comm", e.rank, 2, e.start_s, tp);
    }
    double comm = 0;
    if (pair) {
      comm = overlap ? fwd_comm(e.stage) + bwd_comm(e.stage2) : 0;
      event("all-to-all " + e.name, "comm", e.rank, 1, e.start_s, std::min(comm, d));
      continue;
    }
    if (e.name[0] == 'F') comm = fwd_comm(e.stage);
    if (e.name[0] == 'B' || e.name[0] == 'I') comm = bwd_comm(e.stage);
    event("all-to-all " + e.name, "comm", e.rank, 1, e.end_s - comm, comm);
  }
  const double end = r.pipeline_makespan_s;
  for (int rank = 0; rank < static_cast<int>(s.pp); ++rank) {
    event("ZeRO-1 reduce-scatter", "comm", rank, 1, end, c.dp_reduce_scatter_s);
    event("optimizer step", "compute", rank, 0, end + c.dp_reduce_scatter_s, r.breakdown.optimizer_s);
    event("ZeRO-1 all-gather", "comm", rank, 1, end + c.dp_reduce_scatter_s + r.breakdown.optimizer_s, c.dp_all_gather_s);
    events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", rank},
                      {"args", {{"name", "pipeline rank " + std::to_string(rank)}}}});
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", rank}, {"tid", 0}, {"args", {{"name", "compute"}}}});
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", rank}, {"tid", 1}, {"args", {{"name", "communication"}}}});
    if (s.tp > 1) {
      events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", rank}, {"tid", 2},
                        {"args", {{"name", "tensor-parallel communication"}}}});
    }
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"},
          {"otherData", {{"schema_version", kSchemaVersion}, {"scenario", s.name}}}};
}

void print_table(const nlohmann::json& j) {
  const auto& b = j["breakdown_s"];
  std::cout << "scenario                       " << j["scenario"].get<std::string>() << "\n"
            << "step time                      " << format_fixed(j["step_time_s"].get<double>(), 3) << " s\n"
            << "  forward / bwd input / bwd weight  " << format_fixed(b["forward"].get<double>(), 3) << " / "
            << format_fixed(b["backward_input"].get<double>(), 3) << " / "
            << format_fixed(b["backward_weight"].get<double>(), 3) << " s\n"
            << "  bubble / exposed comm / optimizer " << format_fixed(b["bubble"].get<double>(), 3) << " / "
            << format_fixed(b["exposed_comm"].get<double>(), 3) << " / "
            << format_fixed(b["optimizer"].get<double>(), 3) << " s\n"
            << "MFU causal / non-causal        " << format_fixed(100 * j["mfu_causal"].get<double>(), 2) << " % / "
            << format_fixed(100 * j["mfu_noncausal"].get<double>(), 2) << " %\n"
            << "tokens/s                       " << format_count(j["tokens_per_s"].get<double>()) << "\n"
            << "GPU-hours per 1T tokens        " << format_fixed(j["gpu_hours_per_trillion_tokens"].get<double>(), 0) << "\n"
            << "cost for " << format_count(j["token_budget"].get<double>()) << " tokens      $"
            << format_fixed(j["cost_usd"].get<double>() / 1e6, 3) << "M\n"
            << "memory per GPU                 " << format_bytes(j["memory_per_gpu_bytes"].get<double>()) << " of "
            << format_bytes(j["hbm_bytes"].get<double>()) << "\n";
  for (const auto& w : j["warnings"]) std::cout << "warning: " << w.get<std::string>() << "\n";
}

int run_train(const std::string& scenario_arg, bool json, const std::string& trace_out,
              const std::vector<std::string>& calibration) {
  Result<configs::TrainingScenario> s = configs::load_training_scenario(scenario_arg);
  if (!s.ok()) return report_errors(s.errors());
  Result<CostModelChoice> cost = make_cost_model(calibration);
  if (!cost.ok()) return report_errors(cost.errors());
  const sim::NetworkCalibration cal = sim::embedded_network_calibration(s.value().cluster.gpu.name);
  Result<sim::TrainingResult> r = sim::simulate_training(s.value(), *cost.value().model, cal);
  if (!r.ok()) return report_errors(r.errors());
  if (!trace_out.empty()) {
    Status written = write_file_atomically(trace_out, chrome_trace(s.value(), r.value()).dump());
    if (!written.ok()) return report_errors(written.errors());
  }
  const nlohmann::json doc = result_json(s.value(), r.value(), cal, cost.value().description);
  if (json) {
    print_json(doc);
  } else {
    print_table(doc);
  }
  return 0;
}


}  // namespace

void add_simulate_commands(CLI::App& app, CommandRunner& runner) {
  CLI::App* train = simulate_group(app)->add_subcommand(
      "train", "One training step of a scenario: step time, breakdown, MFU, GPU-hours and cost");
  auto scenario = std::make_shared<std::string>(kDefaultScenario);
  auto json = std::make_shared<bool>(false);
  auto trace_out = std::make_shared<std::string>();
  auto calibration = std::make_shared<std::vector<std::string>>();
  train->add_option("scenario", *scenario, "Catalog name or YAML file (default: deepseek-v3-pretrain-h800)");
  train->add_flag("--json", *json, "Print one JSON document");
  train->add_option("--trace-out", *trace_out, "Write a Chrome/Perfetto timeline of the step to FILE");
  add_calibration_option(train, calibration.get());
  runner.on(train, [=] { return run_train(*scenario, *json, *trace_out, *calibration); });
}

}  // namespace moesim::cli
