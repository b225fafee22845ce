// Parser for serving scenarios: every problem reported with file, line and key path.
#include "configs/serving_scenario.hpp"

#include <string>
#include <vector>

#include "configs/catalog.hpp"
#include "configs/yaml_reader.hpp"

namespace moesim::configs {

namespace {

void read_length(MapReader& parent, const std::string& key, bool required, LengthSpec* out) {
  MapReader r = parent.child(key, required);
  if (!r.is_map()) return;
  int choice = static_cast<int>(out->distribution);
  r.optional_choice("distribution", {"fixed", "uniform", "exponential", "lognormal"}, &choice);
  out->distribution = static_cast<LengthDistribution>(choice);
  r.required_number("mean", &out->mean, 1, true);
  r.optional_number("cv", &out->cv, 0, true);
  r.optional_int("min", &out->min, 1);
  r.optional_int("max", &out->max, 1);
  if (out->min > out->max) r.error("min", "min " + std::to_string(out->min) + " exceeds max " + std::to_string(out->max));
  r.finish();
}

void read_workload(MapReader& parent, ServingWorkloadSpec* w) {
  MapReader r = parent.child("workload", true);
  if (!r.is_map()) return;
  r.optional_int("requests", &w->requests, 1);
  int arrival = static_cast<int>(w->arrival);
  r.optional_choice("arrival", {"poisson", "gamma", "trace"}, &arrival);
  w->arrival = static_cast<ArrivalProcess>(arrival);
  r.optional_number("rate_per_s", &w->rate_per_s, 0, true);
  r.optional_number("load", &w->load, 0, false);
  r.optional_number("gamma_cv", &w->gamma_cv, 0, false);
  r.optional_string("trace", &w->trace_path);
  if (w->arrival == ArrivalProcess::kTrace && w->trace_path.empty())
    r.error("trace", "arrival is 'trace' but no trace file is given, expected a CSV or JSONL path");
  // A trace carries its own lengths; the distributions are then optional (and unused).
  const bool generated = w->arrival != ArrivalProcess::kTrace;
  read_length(r, "input_tokens", generated, &w->input_tokens);
  read_length(r, "output_tokens", generated, &w->output_tokens);
  r.optional_number("prefix_cache_hit_rate", &w->prefix_cache_hit_rate, 0, true);
  if (w->prefix_cache_hit_rate >= 1)
    r.error("prefix_cache_hit_rate", "found " + std::to_string(w->prefix_cache_hit_rate) + ", expected a fraction in [0, 1)");
  r.optional_number("warmup_fraction", &w->warmup_fraction, 0, true);
  if (w->warmup_fraction >= 0.5) r.error("warmup_fraction", "expected a fraction below 0.5");
  r.finish();
}

void read_instance(MapReader& parent, const std::string& key, bool required, ServingInstanceSpec* s) {
  MapReader r = parent.child(key, required);
  if (!r.is_map()) return;
  r.required_string("cluster", &s->cluster_name);
  r.optional_int("instances", &s->instances, 0);
  int att = static_cast<int>(s->attention);
  r.optional_choice("attention", {"dp", "tp"}, &att);
  s->attention = static_cast<AttentionParallel>(att);
  r.optional_int("attention_tp", &s->attention_tp, 1);
  r.optional_int("ep", &s->ep, 0);
  r.optional_int("redundant_experts", &s->redundant_experts, 0);
  r.optional_int("micro_batches", &s->micro_batches, 1);
  if (s->micro_batches > 2) r.error("micro_batches", "found " + std::to_string(s->micro_batches) + ", expected 1 or 2");
  r.optional_int("comm_sms", &s->comm_sms, 0);
  r.optional_int("token_budget_per_gpu", &s->token_budget_per_gpu, 1);
  r.optional_int("max_requests_per_gpu", &s->max_requests_per_gpu, 0);
  r.optional_quantity("activation_reserve", Unit::kBytes, &s->activation_reserve_bytes);
  r.optional_string("placement", &s->placement_path);
  r.finish();
  if (s->cluster_name.empty()) return;
  Result<models::ClusterSpec> c = load_cluster(s->cluster_name);
  if (!c.ok()) {
    r.error("cluster", "cannot load cluster '" + s->cluster_name + "': " + c.errors().front().message);
    return;
  }
  s->cluster = c.value();
}

// EP must divide the physical expert slots and fit the instance (exit 2 otherwise).
void check_instance(MapReader& root, const std::string& key, const models::ModelSpec& m, ServingInstanceSpec* s) {
  if (s->cluster_name.empty() || s->cluster.nodes < 1 || !m.is_moe) return;
  const int64_t gpus = models::total_gpus(s->cluster);
  if (s->ep == 0) s->ep = gpus;
  const int64_t physical = m.moe.num_routed_experts + s->redundant_experts;
  const std::string where = key + ".ep";
  if (s->ep != gpus) {
    root.diagnostics()->error(root.node_of(key), root.key_path(where),
                              "ep=" + std::to_string(s->ep) + " must equal the instance's " + std::to_string(gpus) +
                                  " GPUs (" + s->cluster_name + ")");
  } else if (physical % s->ep != 0) {
    root.diagnostics()->error(root.node_of(key), root.key_path(where),
                              "ep=" + std::to_string(s->ep) + " does not divide " + std::to_string(physical) +
                                  " physical experts (" + std::to_string(m.moe.num_routed_experts) + " routed + " +
                                  std::to_string(s->redundant_experts) + " redundant)");
  }
  if (s->attention == AttentionParallel::kTp && gpus % s->attention_tp != 0)
    root.diagnostics()->error(root.node_of(key), root.key_path(key + ".attention_tp"),
                              "attention_tp=" + std::to_string(s->attention_tp) + " does not divide " +
                                  std::to_string(gpus) + " GPUs");
}

void read_top(MapReader& r, ServingScenarioSpec* s) {
  r.required_string("name", &s->name);
  r.optional_string("description", &s->description);
  r.optional_string("source", &s->source);
  r.required_string("model", &s->model_name);
  int mode = s->disaggregated ? 0 : 1;
  r.optional_choice("mode", {"disaggregated", "colocated"}, &mode);
  s->disaggregated = mode == 0;
  int64_t seed = static_cast<int64_t>(s->seed);
  r.optional_int("seed", &seed, 0);
  s->seed = static_cast<uint64_t>(seed);
  r.optional_number("price_usd_per_gpu_hour", &s->price_usd_per_gpu_hour, 0, true);
  MapReader p = r.child("precision", false);
  if (p.is_map()) {
    p.optional_dtype("gemm", &s->gemm_dtype);
    p.optional_dtype("attention", &s->attention_dtype);
    p.optional_dtype("kv_cache", &s->kv_cache_dtype);
    p.optional_dtype("dispatch", &s->dispatch_dtype);
    p.optional_dtype("combine", &s->combine_dtype);
    p.finish();
  }
}

void read_extras(MapReader& r, ServingScenarioSpec* s) {
  MapReader e = r.child("expert_load", false);
  if (e.is_map()) {
    int kind = 0;
    e.optional_choice("kind", {"balanced", "zipf", "measured"}, &kind);
    s->expert_load.kind = static_cast<ExpertLoadKind>(kind);
    e.optional_number("zipf_s", &s->expert_load.zipf_s, 0, true);
    e.optional_string("file", &s->expert_load.path);
    if (s->expert_load.kind == ExpertLoadKind::kMeasured && s->expert_load.path.empty())
      e.error("file", "kind is 'measured' but no load file is given");
    e.finish();
  }
  MapReader m = r.child("mtp", false);
  if (m.is_map()) {
    m.optional_int("draft_tokens", &s->mtp.draft_tokens, 0);
    m.optional_number("acceptance_rate", &s->mtp.acceptance_rate, 0, true);
    if (s->mtp.acceptance_rate > 1) m.error("acceptance_rate", "expected a probability in [0, 1]");
    m.finish();
  }
  MapReader slo = r.child("slo", false);
  if (slo.is_map()) {
    slo.optional_quantity("ttft", Unit::kSeconds, &s->slo.ttft_s);
    slo.optional_quantity("tpot", Unit::kSeconds, &s->slo.tpot_s);
    slo.finish();
  }
}

}  // namespace

Result<ServingScenarioSpec> parse_serving_scenario(const std::string& yaml_text, const std::string& display_path) {
  Diagnostics diag{display_path, {}};
  YAML::Node root = parse_yaml(yaml_text, &diag);
  if (!diag.errors.empty()) return diag.errors;
  MapReader r(root, "", &diag);
  if (!r.is_map()) return bad_input(display_path + ": expected a YAML mapping at the top level");
  ServingScenarioSpec s;
  read_top(r, &s);
  read_workload(r, &s.workload);
  read_instance(r, "prefill", s.disaggregated, &s.prefill);
  read_instance(r, "decode", true, &s.decode);
  read_extras(r, &s);
  r.finish();
  if (!s.model_name.empty()) {
    Result<models::ModelSpec> m = load_model(s.model_name);
    if (!m.ok()) {
      r.error("model", "cannot load model '" + s.model_name + "': " + m.errors().front().message);
    } else {
      s.model = m.value();
      if (s.mtp.draft_tokens > 0 && s.model.mtp_modules == 0)
        r.error("mtp", "draft_tokens=" + std::to_string(s.mtp.draft_tokens) + " but model " + s.model_name +
                           " has no multi-token-prediction module, expected draft_tokens: 0");
      if (s.disaggregated) check_instance(r, "prefill", s.model, &s.prefill);
      check_instance(r, "decode", s.model, &s.decode);
    }
  }
  if (!diag.errors.empty()) return diag.errors;
  return s;
}

Result<ServingScenarioSpec> load_serving_scenario(std::string_view name_or_path) {
  std::string display;
  Result<std::string> text = read_config_text("scenarios", name_or_path, &display);
  if (!text.ok()) return text.errors();
  return parse_serving_scenario(text.value(), display);
}

}  // namespace moesim::configs
