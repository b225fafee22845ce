// Parser for plan files: scalar keys through MapReader, search-space lists read here (MapReader has
// no list getter), every problem reported with file, line and key path.
#include "configs/plan_spec.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "configs/catalog.hpp"
#include "configs/yaml_reader.hpp"

namespace moesim::configs {

namespace {

std::string str(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

int yaml_line(const YAML::Node& n) { return n.Mark().is_null() ? 0 : n.Mark().line + 1; }

// A mapping whose every key is a list (or one scalar). Unknown keys are reported with a suggestion.
class ListSection {
 public:
  ListSection(MapReader& parent, const std::string& key) : diag_(parent.diagnostics()), path_(parent.key_path(key)) {
    if (!parent.has(key)) {
      parent.child(key, false);  // marks the key as known
      return;
    }
    MapReader probe = parent.child(key, false);
    if (probe.is_map()) node_ = probe.node_of("\x01__none__");  // the mapping itself
  }

  // Each element through `convert` (false = bad element, with `expected` the message tail).
  template <class T, class F>
  void read(const std::string& key, std::vector<T>* out, const std::string& expected, F convert) {
    known_.push_back(key);
    if (!node_.IsDefined() || !node_.IsMap() || !node_[key].IsDefined()) return;
    const YAML::Node v = node_[key];
    std::vector<YAML::Node> items;
    if (v.IsSequence()) {
      for (const auto& item : v) items.push_back(item);
    } else {
      items.push_back(v);
    }
    std::vector<T> values;
    for (size_t i = 0; i < items.size(); ++i) {
      T value{};
      const std::string text = items[i].IsScalar() ? items[i].Scalar() : "a nested value";
      if (!items[i].IsScalar() || !convert(text, &value)) {
        diag_->error_at_line(yaml_line(items[i]), path_ + "." + key + "[" + std::to_string(i) + "]",
                             "found \"" + text + "\", expected " + expected);
        return;
      }
      if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
    }
    if (values.empty()) {
      diag_->error_at_line(yaml_line(v), path_ + "." + key, "found an empty list, expected at least one value");
      return;
    }
    *out = values;
  }

  void finish() {
    if (!node_.IsDefined() || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      const std::string k = kv.first.Scalar();
      if (std::find(known_.begin(), known_.end(), k) != known_.end()) continue;
      std::string message = "unknown key";
      const std::string near = nearest(k, known_);
      if (!near.empty()) message += "; did you mean \"" + near + "\"?";
      diag_->error_at_line(yaml_line(kv.first), path_ + "." + k, message);
    }
  }

 private:
  Diagnostics* diag_;
  std::string path_;
  YAML::Node node_;
  std::vector<std::string> known_;
};

bool to_int(const std::string& text, int64_t* out, int64_t min) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || v != std::floor(v) || v < static_cast<double>(min) ||
      v > 1e9)
    return false;
  *out = static_cast<int64_t>(v);
  return true;
}

bool to_dtype(const std::string& text, models::DType* out) {
  const auto d = models::parse_dtype(text);
  if (!d) return false;
  *out = *d;
  return true;
}

void read_ints(ListSection& s, const std::string& key, std::vector<int64_t>* out, int64_t min = 1) {
  s.read(key, out, min >= 1 ? "a positive integer" : "an integer >= " + std::to_string(min),
         [min](const std::string& t, int64_t* v) { return to_int(t, v, min); });
}

void read_dtypes(ListSection& s, const std::string& key, std::vector<models::DType>* out) {
  s.read(key, out, "one of fp32, bf16, fp16, fp8, int4, fp4", to_dtype);
}

void read_assumptions(MapReader& root, PlanAssumptions* a) {
  MapReader r = root.child("assumptions", false);
  if (!r.is_map()) return;
  r.optional_number("electricity_usd_per_kwh", &a->electricity_usd_per_kwh, 0, true);
  r.optional_number("pue", &a->pue, 1, true);
  r.optional_number("power_utilization", &a->power_utilization, 0, false);
  r.optional_number("target_utilization", &a->target_utilization, 0, false);
  r.optional_number("node_overhead_w", &a->node_overhead_w, 0, true);
  for (const char* key : {"power_utilization", "target_utilization"}) {
    const double v = key[0] == 'p' ? a->power_utilization : a->target_utilization;
    if (v > 1) r.error(key, "found " + str(v) + ", expected a fraction in (0, 1]");
  }
  r.finish();
}

void read_serving(MapReader& root, bool required, ServingPlanSpec* s) {
  MapReader r = root.child("serving", required);
  if (!r.is_map()) return;
  MapReader load = r.child("load", true);
  if (load.is_map()) {
    load.required_number("input_tokens_per_day", &s->load.input_tokens_per_day, 0, false);
    load.required_number("output_tokens_per_day", &s->load.output_tokens_per_day, 0, false);
    load.optional_number("prefix_cache_hit_rate", &s->load.prefix_cache_hit_rate, 0, true);
    if (s->load.prefix_cache_hit_rate >= 1)
      load.error("prefix_cache_hit_rate", "found " + str(s->load.prefix_cache_hit_rate) + ", expected a fraction in [0, 1)");
    load.optional_number("mean_kv_tokens", &s->load.mean_kv_tokens, 1, true);
    load.optional_number("mean_input_tokens", &s->load.mean_input_tokens, 0, true);
    load.optional_number("mean_output_tokens", &s->load.mean_output_tokens, 0, true);
    load.finish();
  }
  MapReader slo = r.child("slo", false);
  if (slo.is_map()) {
    slo.optional_quantity("ttft", Unit::kSeconds, &s->slo.ttft_s);
    slo.optional_quantity("tpot", Unit::kSeconds, &s->slo.tpot_s);
    for (const char* key : {"ttft_percentile", "tpot_percentile"}) {
      double* out = key[1] == 't' ? &s->slo.ttft_percentile : &s->slo.tpot_percentile;
      double pct = *out * 100;
      slo.optional_number(key, &pct, 0, false);
      if (pct >= 100) slo.error(key, "found " + str(pct) + ", expected a percentile in (0, 100), e.g. 90");
      *out = pct / 100;
    }
    slo.finish();
  }
  r.optional_int("max_gpus", &s->max_gpus, 0);
  r.optional_number("max_usd_per_hour", &s->max_usd_per_hour, 0, true);
  r.optional_int("mtp_draft_tokens", &s->mtp_draft_tokens, 0);
  r.optional_number("mtp_acceptance_rate", &s->mtp_acceptance_rate, 0, true);
  if (s->mtp_acceptance_rate > 1) r.error("mtp_acceptance_rate", "expected a probability in [0, 1]");
  r.optional_quantity("activation_reserve", Unit::kBytes, &s->activation_reserve_bytes);
  r.optional_int("simulated_requests", &s->simulated_requests, 0);
  if (s->simulated_requests > 0 && s->simulated_requests < 10) {
    r.error("simulated_requests", "expected 0 (auto) or at least 10 requests");
  }
  r.optional_number("expert_zipf_exponent", &s->expert_zipf_exponent, 0, true);
  ListSection space(r, "space");
  read_dtypes(space, "weight_dtype", &s->space.weight_dtypes);
  read_dtypes(space, "kv_cache_dtype", &s->space.kv_cache_dtypes);
  read_dtypes(space, "dispatch_dtype", &s->space.dispatch_dtypes);
  read_ints(space, "prefill_nodes", &s->space.prefill_nodes);
  read_ints(space, "decode_nodes", &s->space.decode_nodes);
  read_ints(space, "attention_tp", &s->space.attention_tp);
  read_ints(space, "redundant_experts", &s->space.redundant_experts, 0);
  read_ints(space, "decode_batch_per_gpu", &s->space.decode_batch_per_gpu);
  read_ints(space, "prefill_tokens_per_gpu", &s->space.prefill_tokens_per_gpu);
  space.finish();
  r.finish();
}

void read_training(MapReader& root, bool required, TrainingPlanSpec* t) {
  MapReader r = root.child("training", required);
  if (!r.is_map()) return;
  r.optional_number("tokens", &t->tokens, 0, true);
  double days = t->deadline_s / 86400;
  r.optional_number("deadline_days", &days, 0, true);
  t->deadline_s = days * 86400;
  r.optional_int("global_batch_sequences", &t->global_batch_sequences, 1);
  r.optional_int("sequence_tokens", &t->sequence_tokens, 1);
  r.optional_int("max_gpus", &t->max_gpus, 0);
  ListSection space(r, "space");
  read_ints(space, "nodes", &t->space.nodes);
  read_ints(space, "pp", &t->space.pp);
  read_ints(space, "ep", &t->space.ep);
  read_ints(space, "tp", &t->space.tp);
  read_ints(space, "micro_batch_sequences", &t->space.micro_batch_sequences);
  read_dtypes(space, "gemm_dtype", &t->space.gemm_dtypes);
  space.read("schedule", &t->space.schedules, "one of 1f1b, zb1p, dualpipe",
             [](const std::string& text, TrainingSchedule* v) {
               const std::vector<std::string> names = {"1f1b", "zb1p", "dualpipe"};
               for (size_t i = 0; i < names.size(); ++i) {
                 if (text == names[i]) *v = static_cast<TrainingSchedule>(i);
               }
               return std::find(names.begin(), names.end(), text) != names.end();
             });
  space.read("recompute", &t->space.recompute, "one of none, selective, full", [](const std::string& text, int* v) {
    const std::vector<std::string> names = {"none", "selective", "full"};
    for (size_t i = 0; i < names.size(); ++i) {
      if (text == names[i]) *v = static_cast<int>(i);
    }
    return std::find(names.begin(), names.end(), text) != names.end();
  });
  space.finish();
  r.finish();
}

void resolve_gpu(MapReader& list_owner, const std::string& where, PlanGpuSpec* g) {
  Result<models::GpuSpec> gpu = load_gpu(g->gpu_name);
  if (!gpu.ok()) {
    list_owner.diagnostics()->error_at_line(0, where + ".name",
                                            "cannot load GPU '" + g->gpu_name + "': " + gpu.errors().front().message);
    return;
  }
  if (g->cluster_name.empty()) {
    g->node = default_node_for(gpu.value());
  } else {
    Result<models::ClusterSpec> c = load_cluster(g->cluster_name);
    if (!c.ok()) {
      list_owner.diagnostics()->error_at_line(0, where + ".cluster", "cannot load cluster '" + g->cluster_name +
                                                                         "': " + c.errors().front().message);
      return;
    }
    g->node = c.value();
    g->node.nodes = 1;
    if (g->node.gpu.name != gpu.value().name)
      list_owner.diagnostics()->error_at_line(0, where + ".cluster",
                                              "cluster '" + g->cluster_name + "' has GPU '" + g->node.gpu.name +
                                                  "', expected '" + gpu.value().name + "'");
  }
  if (g->price_usd_per_gpu_hour <= 0) g->price_usd_per_gpu_hour = gpu.value().price_usd_per_gpu_hour;
}

// gpus: [h800, {name: h200, cluster: hgx-h200, price_usd_per_gpu_hour: 3}]
void read_gpus(MapReader& r, const YAML::Node& root_node, std::vector<PlanGpuSpec>* out) {
  Diagnostics* diag = r.diagnostics();
  const YAML::Node list = root_node["gpus"];
  if (!list.IsDefined() || !list.IsSequence() || list.size() == 0) {
    diag->error_at_line(yaml_line(list.IsDefined() ? list : root_node), "gpus",
                        "missing or empty, expected a list of GPU catalog names such as [h800, h200]");
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "gpus[" + std::to_string(i) + "]";
    PlanGpuSpec g;
    if (list[i].IsScalar()) {
      g.gpu_name = list[i].Scalar();
    } else if (list[i].IsMap()) {
      MapReader item(list[i], where, diag);
      item.required_string("name", &g.gpu_name);
      item.optional_string("cluster", &g.cluster_name);
      item.optional_number("price_usd_per_gpu_hour", &g.price_usd_per_gpu_hour, 0, false);
      item.finish();
    } else {
      diag->error_at_line(yaml_line(list[i]), where, "expected a GPU name or a mapping {name, cluster, price_usd_per_gpu_hour}");
      continue;
    }
    if (g.gpu_name.empty()) continue;
    resolve_gpu(r, where, &g);
    out->push_back(g);
  }
}

// Returns false when the kind is missing or unknown (then no section is required).
bool read_top(MapReader& r, PlanSpec* p) {
  r.required_string("name", &p->name);
  r.optional_string("description", &p->description);
  int kind = -1;
  r.required_choice("kind", {"serving", "training"}, &kind);
  p->kind = kind == 1 ? PlanKind::kTraining : PlanKind::kServing;
  r.required_string("model", &p->model_name);
  const std::vector<std::string> objectives =
      p->kind == PlanKind::kServing ? std::vector<std::string>{"cost", "gpus", "throughput"}
                                    : std::vector<std::string>{"time", "cost", "mfu"};
  int objective = 0;
  r.optional_choice("objective", objectives, &objective);
  p->objective = objectives[static_cast<size_t>(objective)];
  r.optional_int("top", &p->top, 1);
  int64_t seed = static_cast<int64_t>(p->seed);
  r.optional_int("seed", &seed, 0);
  p->seed = static_cast<uint64_t>(seed);
  return kind >= 0;
}

}  // namespace

const char* plan_kind_name(PlanKind kind) { return kind == PlanKind::kServing ? "serving" : "training"; }

const char* schedule_name(TrainingSchedule schedule) {
  switch (schedule) {
    case TrainingSchedule::k1F1B: return "1f1b";
    case TrainingSchedule::kZb1p: return "zb1p";
    case TrainingSchedule::kDualPipe: return "dualpipe";
  }
  return "unknown";
}

models::ClusterSpec default_node_for(const models::GpuSpec& gpu) {
  models::ClusterSpec c;
  c.name = gpu.name + "-x8";
  c.description = "8 x " + gpu.display_name + " (built by the planner from the GPU spec)";
  c.source = "planner default: 80 % of half the GPU's bidirectional scale-up bandwidth";
  c.gpu_name = gpu.name;
  c.gpu = gpu;
  c.nodes = 1;
  c.gpus_per_node = 8;
  c.scale_up.domain_gpus = 8;
  c.scale_up.bw_bytes_per_s = 0.8 * gpu.scale_up_bw_bytes_per_s / 2;
  c.scale_out.planes = 8;
  return c;
}

Result<PlanSpec> parse_plan_spec(const std::string& yaml_text, const std::string& display_path) {
  Diagnostics diag{display_path, {}};
  YAML::Node root = parse_yaml(yaml_text, &diag);
  if (!diag.errors.empty()) return diag.errors;
  MapReader r(root, "", &diag);
  if (!r.is_map()) return bad_input(display_path + ": expected a YAML mapping at the top level (name, kind, model, gpus, ...)");
  PlanSpec p;
  p.display_path = display_path;
  const bool kind_known = read_top(r, &p);
  read_gpus(r, root, &p.gpus);
  read_assumptions(r, &p.assumptions);
  read_serving(r, kind_known && p.kind == PlanKind::kServing, &p.serving);
  read_training(r, kind_known && p.kind == PlanKind::kTraining, &p.training);
  r.finish();
  // `gpus` is a list, which MapReader cannot mark as known: drop its "unknown key" report.
  const std::string gpus_unknown = ": gpus: unknown key";
  diag.errors.erase(std::remove_if(diag.errors.begin(), diag.errors.end(),
                                   [&](const Error& e) { return e.message.find(gpus_unknown) != std::string::npos; }),
                    diag.errors.end());
  if (!p.model_name.empty()) {
    Result<models::ModelSpec> m = load_model(p.model_name);
    if (!m.ok()) {
      r.error("model", "cannot load model '" + p.model_name + "': " + m.errors().front().message);
    } else {
      p.model = m.value();
      if (!p.model.is_moe) r.error("model", "'" + p.model_name + "' is a dense model, expected a Mixture-of-Experts model");
      if (p.kind == PlanKind::kTraining && p.training.tokens <= 0) p.training.tokens = p.model.pretraining_tokens;
    }
  }
  if (p.kind == PlanKind::kTraining && p.training.tokens <= 0 && diag.errors.empty())
    r.error("training", "no token count: set training.tokens (the model publishes no pretraining_tokens)");
  if (!diag.errors.empty()) return diag.errors;
  return p;
}

Result<PlanSpec> load_plan_spec(std::string_view name_or_path) {
  std::string display;
  Result<std::string> text = read_config_text("scenarios", name_or_path, &display);
  if (!text.ok()) return text.errors();
  return parse_plan_spec(text.value(), display);
}

}  // namespace moesim::configs
