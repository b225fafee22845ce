// YAML → TrainingScenario, with the model and cluster it names, and the layout's cross-checks.
#include "configs/training_scenario.hpp"

#include <string>

#include "configs/catalog.hpp"
#include "configs/yaml_reader.hpp"

namespace moesim::configs {

namespace {

// Line (1-based) of dotted `key_path` under `root`, or 0.
int line_of(const YAML::Node& root, const std::string& key_path) {
  YAML::Node node = root;
  size_t start = 0;
  while (node.IsMap()) {
    const size_t dot = key_path.find('.', start);
    const std::string key = key_path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    YAML::Node found, found_key;
    for (const auto& kv : node) {
      if (kv.first.Scalar() == key) found = kv.second, found_key = kv.first;
    }
    if (!found.IsDefined()) return 0;
    if (dot == std::string::npos) return found_key.Mark().is_null() ? 0 : found_key.Mark().line + 1;
    node = found;
    start = dot + 1;
  }
  return 0;
}

void read_parallelism(MapReader r, TrainingScenario* s) {
  r.required_int("pp", &s->pp);
  r.required_int("dp", &s->dp);
  r.optional_int("ep", &s->ep, 1);
  r.optional_int("tp", &s->tp, 1);
  r.finish();
}

void read_batch(MapReader r, TrainingScenario* s) {
  r.required_int("global_sequences", &s->global_batch_sequences);
  r.optional_int("sequence_tokens", &s->sequence_tokens, 1);
  r.optional_int("micro_batch_sequences", &s->micro_batch_sequences, 1);
  r.finish();
}

void read_precision(MapReader r, TrainingScenario* s) {
  r.optional_dtype("gemm", &s->gemm_dtype);
  r.optional_dtype("dispatch", &s->dispatch_dtype);
  r.optional_dtype("combine", &s->combine_dtype);
  r.finish();
}

void read_communication(MapReader r, TrainingScenario* s) {
  r.optional_bool("enabled", &s->communication);
  r.optional_bool("overlap", &s->overlap_comm);
  r.optional_int("sms", &s->comm_sms, 0);
  int64_t seed = static_cast<int64_t>(s->routing_seed);
  r.optional_int("routing_seed", &seed, 0);
  s->routing_seed = static_cast<uint64_t>(seed);
  r.finish();
}

void read_memory(MapReader r, TrainingScenario* s) {
  int recompute = 0;
  r.optional_choice("recompute", {"none", "selective", "full"}, &recompute);
  s->recompute = static_cast<models::Recompute>(recompute);
  int64_t zero = 1;
  r.optional_int("zero", &zero, 0);
  if (zero > 3) r.error("zero", std::to_string(zero) + "; expected 0, 1, 2 or 3");
  s->state.zero = static_cast<models::ZeroStage>(zero > 3 ? 1 : zero);
  r.optional_number("weight_bytes", &s->state.weight_bytes, 0, false);
  r.optional_number("gradient_bytes", &s->state.gradient_bytes, 0, false);
  r.optional_number("master_weight_bytes", &s->state.master_weight_bytes, 0, true);
  r.optional_number("optimizer_state_bytes", &s->state.optimizer_state_bytes, 0, true);
  int check = 0;
  r.optional_choice("hbm_check", {"error", "warn"}, &check);
  s->enforce_hbm_limit = check == 0;
  r.finish();
}

}  // namespace

const char* schedule_name(PipelineSchedule schedule) {
  switch (schedule) {
    case PipelineSchedule::k1F1B: return "1f1b";
    case PipelineSchedule::kZb1p: return "zb1p";
    case PipelineSchedule::kDualPipe: return "dualpipe";
  }
  return "unknown";
}

Result<TrainingScenario> parse_training_scenario(const std::string& yaml_text, const std::string& display_path) {
  Diagnostics diag{display_path, {}};
  YAML::Node root = parse_yaml(yaml_text, &diag);
  if (!diag.errors.empty()) return diag.errors;
  TrainingScenario s;
  s.display_path = display_path;
  MapReader r(root, "", &diag);
  int kind = -1;
  r.required_choice("kind", {"train"}, &kind);
  r.required_string("name", &s.name);
  r.optional_string("description", &s.description);
  r.optional_string("source", &s.source);
  r.required_string("model", &s.model_name);
  r.required_string("cluster", &s.cluster_name);
  int schedule = 0;
  r.required_choice("schedule", {"1f1b", "zb1p", "dualpipe"}, &schedule);
  s.schedule = static_cast<PipelineSchedule>(schedule);
  read_parallelism(r.child("parallelism", true), &s);
  read_batch(r.child("batch", true), &s);
  if (r.has("precision")) read_precision(r.child("precision", false), &s);
  if (r.has("communication")) read_communication(r.child("communication", false), &s);
  if (r.has("memory")) read_memory(r.child("memory", false), &s);
  if (r.has("cost")) {
    MapReader c = r.child("cost", false);
    c.optional_number("price_usd_per_gpu_hour", &s.price_usd_per_gpu_hour, 0, false);
    c.optional_number("token_budget", &s.token_budget, 0, false);
    c.finish();
  }
  r.finish();
  // The model and cluster must load before the cross-checks can run.
  if (!s.model_name.empty()) {
    Result<models::ModelSpec> model = load_model(s.model_name);
    if (model.ok()) s.model = model.value();
    for (const Error& e : model.ok() ? std::vector<Error>{} : model.errors())
      diag.error(r.node_of("model"), "model", "'" + s.model_name + "' did not load: " + e.message);
  }
  if (!s.cluster_name.empty()) {
    Result<models::ClusterSpec> cluster = load_cluster(s.cluster_name);
    if (cluster.ok()) s.cluster = cluster.value();
    for (const Error& e : cluster.ok() ? std::vector<Error>{} : cluster.errors())
      diag.error(r.node_of("cluster"), "cluster", "'" + s.cluster_name + "' did not load: " + e.message);
  }
  if (!diag.errors.empty()) return diag.errors;
  std::vector<Error> cross =
      validate_training_scenario(s, [&root](const std::string& key) { return line_of(root, key); });
  if (!cross.empty()) return cross;
  return s;
}

Result<TrainingScenario> load_training_scenario(std::string_view name_or_path) {
  std::string path;
  Result<std::string> text = read_config_text("scenarios", name_or_path, &path);
  if (!text.ok()) return text.errors();
  return parse_training_scenario(text.value(), path);
}

std::vector<Error> validate_training_scenario(const TrainingScenario& s,
                                              const std::function<int(const std::string&)>& line_of_key) {
  std::vector<Error> errors;
  auto fail = [&](const std::string& key, const std::string& message) {
    const int line = line_of_key(key);
    errors.push_back(bad_input(s.display_path + (line > 0 ? ":" + std::to_string(line) : "") + ": " + key +
                               ": " + message));
  };
  auto str = [](int64_t v) { return std::to_string(v); };
  const int64_t gpus = models::total_gpus(s.cluster);
  if (s.pp * s.dp * s.tp != gpus)
    fail("parallelism", "pp x dp x tp = " + str(s.pp) + " x " + str(s.dp) + " x " + str(s.tp) + " = " +
                            str(s.pp * s.dp * s.tp) + "; expected the cluster's " + str(gpus) + " GPUs");
  const int64_t gpn = s.cluster.gpus_per_node;
  if (gpn > 0 && gpn % s.tp != 0)
    fail("parallelism.tp", str(s.tp) + "; expected a divisor of gpus_per_node=" + str(gpn) +
                               " (a tensor-parallel group lies inside one node)");
  const int64_t heads = s.model.attention.num_heads;
  if (s.tp > 1 && heads > 0 && heads % s.tp != 0)
    fail("parallelism.tp", str(s.tp) + " does not divide the model's num_heads=" + str(heads));
  const int64_t mb_tokens = s.micro_batch_sequences * s.sequence_tokens;
  if (s.tp > 1 && mb_tokens % s.tp != 0)
    fail("parallelism.tp", str(s.tp) + " does not divide a micro-batch's " + str(mb_tokens) +
                               " tokens (sequence parallelism splits them over the TP group)");
  if (s.model.is_moe && s.model.moe.num_routed_experts % s.ep != 0)
    fail("parallelism.ep", str(s.ep) + " does not divide num_routed_experts=" + str(s.model.moe.num_routed_experts));
  if ((s.dp * s.tp) % s.ep != 0)
    fail("parallelism.ep", str(s.ep) + " does not divide a stage's dp x tp = " + str(s.dp * s.tp) + " GPUs");
  if (s.ep > s.cluster.gpus_per_node && s.ep % s.cluster.gpus_per_node != 0)
    fail("parallelism.ep", str(s.ep) + "; expected a multiple of gpus_per_node=" + str(s.cluster.gpus_per_node) +
                               " when an EP group spans nodes");
  if (!s.model.is_moe && s.ep != 1) fail("parallelism.ep", str(s.ep) + "; the model has no experts, expected 1");
  if (s.model.num_layers < s.pp)
    fail("parallelism.pp", str(s.pp) + " exceeds the model's " + str(s.model.num_layers) + " layers");
  if (s.global_batch_sequences % (s.dp * s.micro_batch_sequences) != 0)
    fail("batch.global_sequences", str(s.global_batch_sequences) + " is not divisible by dp x micro_batch_sequences = " +
                                       str(s.dp * s.micro_batch_sequences));
  if (s.schedule == PipelineSchedule::kDualPipe) {
    const int64_t m = s.micro_batches();
    if (s.pp % 2 != 0) fail("parallelism.pp", str(s.pp) + "; DualPipe needs an even number of stages");
    if (m % 2 != 0 || m < 2 * s.pp)
      fail("batch.global_sequences", "gives " + str(m) + " micro-batches per pipeline; DualPipe needs an even number >= 2 x pp = " +
                                         str(2 * s.pp));
  }
  if (s.comm_sms >= s.cluster.gpu.sm_count && s.cluster.gpu.sm_count > 0)
    fail("communication.sms", str(s.comm_sms) + "; expected fewer than the GPU's " + str(s.cluster.gpu.sm_count) + " SMs");
  if (s.sequence_tokens > s.model.max_context_tokens && s.model.max_context_tokens > 0)
    fail("batch.sequence_tokens", str(s.sequence_tokens) + " exceeds the model's context of " +
                                      str(s.model.max_context_tokens) + " tokens");
  return errors;
}

}  // namespace moesim::configs
