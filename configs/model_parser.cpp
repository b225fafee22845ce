// YAML → models::ModelSpec, and the model's cross-field checks.
#include <functional>
#include <string>

#include "configs/catalog.hpp"
#include "configs/yaml_reader.hpp"

namespace moesim::configs {

namespace {

void read_attention(MapReader r, models::AttentionSpec* a) {
  int kind = -1;
  r.required_choice("kind", {"gqa", "mla"}, &kind);
  // Which other keys are valid depends on the kind: with no valid kind, report only that.
  if (kind < 0) return;
  a->kind = kind == 1 ? models::AttentionKind::kMla : models::AttentionKind::kGqa;
  r.required_int("num_heads", &a->num_heads);
  if (a->kind == models::AttentionKind::kMla) {
    r.optional_int("q_lora_rank", &a->q_lora_rank, 0);
    r.required_int("kv_lora_rank", &a->kv_lora_rank);
    r.required_int("qk_nope_head_dim", &a->qk_nope_head_dim);
    r.required_int("qk_rope_head_dim", &a->qk_rope_head_dim);
    r.required_int("v_head_dim", &a->v_head_dim);
  } else {
    r.required_int("num_kv_heads", &a->num_kv_heads);
    r.required_int("head_dim", &a->head_dim);
    r.optional_bool("qkv_bias", &a->qkv_bias);
    r.optional_bool("qk_norm", &a->qk_norm);
  }
  r.finish();
}

void read_moe(MapReader r, models::MoeSpec* e) {
  r.required_int("num_routed_experts", &e->num_routed_experts);
  r.optional_int("num_shared_experts", &e->num_shared_experts, 0);
  r.required_int("experts_per_token", &e->experts_per_token);
  r.required_int("expert_intermediate_size", &e->expert_intermediate_size);
  r.optional_int("leading_dense_layers", &e->leading_dense_layers, 0);
  r.optional_int("num_expert_groups", &e->num_expert_groups, 1);
  r.optional_int("groups_per_token", &e->groups_per_token, 1);
  r.optional_int("max_nodes_per_token", &e->max_nodes_per_token, 0);
  int scoring = 0;
  r.optional_choice("scoring", {"softmax", "sigmoid"}, &scoring);
  e->scoring = scoring == 1 ? models::RouterScoring::kSigmoid : models::RouterScoring::kSoftmax;
  r.optional_bool("router_bias", &e->router_bias);
  r.finish();
}

// Line (1-based) of the key at dotted `key_path` under `root`, or 0 if absent.
int line_of_key_path(const YAML::Node& root, const std::string& key_path) {
  YAML::Node node = root;
  size_t start = 0;
  while (node.IsMap()) {
    const size_t dot = key_path.find('.', start);
    const std::string key = key_path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool last = dot == std::string::npos;
    YAML::Node found;
    for (const auto& kv : node) {
      if (kv.first.Scalar() == key) found = last ? kv.first : kv.second;
    }
    if (!found.IsDefined()) return 0;
    if (last) return found.Mark().is_null() ? 0 : found.Mark().line + 1;
    node = found;
    start = dot + 1;
  }
  return 0;
}

}  // namespace

Result<models::ModelSpec> parse_model(const std::string& yaml_text, const std::string& display_path) {
  Diagnostics diag{display_path, {}};
  YAML::Node root = parse_yaml(yaml_text, &diag);
  if (!diag.errors.empty()) return diag.errors;
  models::ModelSpec m;
  MapReader r(root, "", &diag);
  r.required_string("name", &m.name);
  r.optional_string("display_name", &m.display_name);
  r.required_string("source", &m.source);
  r.optional_bool("what_if", &m.what_if);
  r.required_int("hidden_size", &m.hidden_size);
  r.required_int("num_layers", &m.num_layers);
  r.required_int("vocab_size", &m.vocab_size);
  r.optional_bool("tie_embeddings", &m.tie_embeddings);
  r.optional_int("dense_intermediate_size", &m.dense_intermediate_size, 0);
  r.optional_int("mtp_modules", &m.mtp_modules, 0);
  r.optional_int("max_context_tokens", &m.max_context_tokens, 0);
  r.optional_number("pretraining_tokens", &m.pretraining_tokens, 0, true);
  read_attention(r.child("attention", true), &m.attention);
  m.is_moe = r.has("moe");
  if (m.is_moe) read_moe(r.child("moe", true), &m.moe);
  r.finish();
  if (m.display_name.empty()) m.display_name = m.name;
  if (!diag.errors.empty()) return diag.errors;
  std::vector<Error> cross = validate(m, display_path, [&root](const std::string& key_path) {
    return line_of_key_path(root, key_path);
  });
  if (!cross.empty()) return cross;
  return m;
}

std::vector<Error> validate(const models::ModelSpec& m, const std::string& path) {
  return validate(m, path, [](const std::string&) { return 0; });
}

std::vector<Error> validate(const models::ModelSpec& m, const std::string& path,
                            const std::function<int(const std::string&)>& line_of_key) {
  std::vector<Error> errors;
  auto fail = [&](const std::string& key, const std::string& message) {
    const int line = line_of_key(key);
    errors.push_back(bad_input(path + (line > 0 ? ":" + std::to_string(line) : "") + ": " + key + ": " + message));
  };
  const models::AttentionSpec& a = m.attention;
  if (a.kind == models::AttentionKind::kGqa && a.num_kv_heads > 0 && a.num_heads % a.num_kv_heads != 0) {
    fail("attention.num_kv_heads", std::to_string(a.num_kv_heads) + " does not divide num_heads=" +
                                       std::to_string(a.num_heads) + " (each KV head serves a whole group of query heads)");
  }
  if (a.kind == models::AttentionKind::kMla && a.qk_rope_head_dim % 2 != 0) {
    fail("attention.qk_rope_head_dim", std::to_string(a.qk_rope_head_dim) + " is odd; rotary embedding needs an even width");
  }
  const bool has_dense_layers = !m.is_moe || m.moe.leading_dense_layers > 0;
  if (has_dense_layers && m.dense_intermediate_size <= 0) {
    fail("dense_intermediate_size", "missing or 0, but the model has dense FFN layers; expected a positive integer");
  }
  if (!m.is_moe) return errors;
  const models::MoeSpec& e = m.moe;
  if (e.experts_per_token > e.num_routed_experts) {
    fail("moe.experts_per_token", std::to_string(e.experts_per_token) + " exceeds num_routed_experts=" +
                                      std::to_string(e.num_routed_experts) + "; expected top-k <= experts");
  }
  if (e.num_expert_groups > 0 && e.num_routed_experts % e.num_expert_groups != 0) {
    fail("moe.num_expert_groups", std::to_string(e.num_expert_groups) + " does not divide num_routed_experts=" +
                                      std::to_string(e.num_routed_experts) + "; expected equal-sized groups");
  }
  if (!errors.empty()) return errors;  // later checks assume the counts above are consistent
  if (e.groups_per_token > e.num_expert_groups) {
    fail("moe.groups_per_token", std::to_string(e.groups_per_token) + " exceeds num_expert_groups=" +
                                     std::to_string(e.num_expert_groups));
  } else if (e.groups_per_token * (e.num_routed_experts / e.num_expert_groups) < e.experts_per_token) {
    fail("moe.groups_per_token", std::to_string(e.groups_per_token) + " groups of " +
                                     std::to_string(e.num_routed_experts / e.num_expert_groups) +
                                     " experts cannot hold experts_per_token=" + std::to_string(e.experts_per_token));
  }
  if (e.leading_dense_layers >= m.num_layers) {
    fail("moe.leading_dense_layers", std::to_string(e.leading_dense_layers) + " leaves no MoE layer out of num_layers=" +
                                         std::to_string(m.num_layers) + "; expected fewer than num_layers");
  }
  return errors;
}

}  // namespace moesim::configs
