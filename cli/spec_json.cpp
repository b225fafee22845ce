#include "cli/spec_json.hpp"

#include "models/hash.hpp"

namespace moesim::cli {

nlohmann::json to_json(const models::ModelSpec& m) {
  const models::AttentionSpec& a = m.attention;
  nlohmann::json attention = {{"kind", a.kind == models::AttentionKind::kMla ? "mla" : "gqa"},
                              {"num_heads", a.num_heads}};
  if (a.kind == models::AttentionKind::kMla) {
    attention.update({{"q_lora_rank", a.q_lora_rank},
                      {"kv_lora_rank", a.kv_lora_rank},
                      {"qk_nope_head_dim", a.qk_nope_head_dim},
                      {"qk_rope_head_dim", a.qk_rope_head_dim},
                      {"v_head_dim", a.v_head_dim}});
  } else {
    attention.update({{"num_kv_heads", a.num_kv_heads},
                      {"head_dim", a.head_dim},
                      {"qkv_bias", a.qkv_bias},
                      {"qk_norm", a.qk_norm}});
  }
  nlohmann::json j = {{"name", m.name},
                      {"display_name", m.display_name},
                      {"source", m.source},
                      {"what_if", m.what_if},
                      {"hidden_size", m.hidden_size},
                      {"num_layers", m.num_layers},
                      {"vocab_size", m.vocab_size},
                      {"tie_embeddings", m.tie_embeddings},
                      {"dense_intermediate_size", m.dense_intermediate_size},
                      {"mtp_modules", m.mtp_modules},
                      {"max_context_tokens", m.max_context_tokens},
                      {"pretraining_tokens", m.pretraining_tokens},
                      {"attention", attention}};
  if (m.is_moe) {
    const models::MoeSpec& e = m.moe;
    j["moe"] = {{"num_routed_experts", e.num_routed_experts},
                {"num_shared_experts", e.num_shared_experts},
                {"experts_per_token", e.experts_per_token},
                {"expert_intermediate_size", e.expert_intermediate_size},
                {"leading_dense_layers", e.leading_dense_layers},
                {"num_expert_groups", e.num_expert_groups},
                {"groups_per_token", e.groups_per_token},
                {"max_nodes_per_token", e.max_nodes_per_token},
                {"scoring", e.scoring == models::RouterScoring::kSigmoid ? "sigmoid" : "softmax"},
                {"router_bias", e.router_bias}};
  }
  return j;
}

nlohmann::json to_json(const models::GpuSpec& g) {
  nlohmann::json peaks = nlohmann::json::object();
  for (const auto& [dtype, flops] : g.peak_flops) peaks[std::string(models::to_string(dtype))] = flops;
  return {{"name", g.name},
          {"display_name", g.display_name},
          {"family", g.family},
          {"source", g.source},
          {"sm_count", g.sm_count},
          {"peak_flops", peaks},
          {"hbm_bytes", g.hbm_bytes},
          {"usable_hbm_bytes", g.usable_hbm_bytes},
          {"hbm_bw_bytes_per_s", g.hbm_bw_bytes_per_s},
          {"scale_up_bw_bytes_per_s", g.scale_up_bw_bytes_per_s},
          {"nic_bw_bytes_per_s", g.nic_bw_bytes_per_s},
          {"tdp_w", g.tdp_w},
          {"price_usd_per_gpu_hour", g.price_usd_per_gpu_hour},
          {"measured_bf16_flops", g.measured_bf16_flops},
          {"measured_hbm_bw_bytes_per_s", g.measured_hbm_bw_bytes_per_s}};
}

nlohmann::json to_json(const models::ClusterSpec& c) {
  return {{"name", c.name},
          {"description", c.description},
          {"source", c.source},
          {"gpu", to_json(c.gpu)},
          {"nodes", c.nodes},
          {"gpus_per_node", c.gpus_per_node},
          {"scale_up",
           {{"domain_gpus", c.scale_up.domain_gpus},
            {"bw_bytes_per_s", models::scale_up_bw_one_way(c)},
            {"latency_s", c.scale_up.latency_s}}},
          {"scale_out",
           {{"nic_bw_bytes_per_s", models::scale_out_bw_one_way(c)},
            {"efficiency", c.scale_out.efficiency},
            {"latency_same_leaf_s", c.scale_out.latency_same_leaf_s},
            {"latency_cross_leaf_s", c.scale_out.latency_cross_leaf_s},
            {"planes", c.scale_out.planes},
            {"leaf_switch_ports", c.scale_out.leaf_switch_ports},
            {"oversubscription", c.scale_out.oversubscription}}}};
}

std::string config_hash(const nlohmann::json& resolved_config) {
  return fnv1a_hex(resolved_config.dump());  // nlohmann::json keeps object keys sorted
}

}  // namespace moesim::cli
