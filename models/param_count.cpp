#include "models/param_count.hpp"

namespace moesim::models {

namespace {

// SwiGLU FFN: gate and up projections (hidden → inter) and down projection (inter → hidden).
int64_t swiglu_params(int64_t hidden, int64_t intermediate) { return 3 * hidden * intermediate; }

int64_t mla_params(const ModelSpec& m) {
  const AttentionSpec& a = m.attention;
  const int64_t h = m.hidden_size;
  const int64_t qk_head = a.qk_nope_head_dim + a.qk_rope_head_dim;
  int64_t p = 0;
  if (a.q_lora_rank > 0) {
    p += h * a.q_lora_rank + a.q_lora_rank;               // q_a_proj + q_a_layernorm
    p += a.q_lora_rank * a.num_heads * qk_head;           // q_b_proj
  } else {
    p += h * a.num_heads * qk_head;                       // q_proj
  }
  p += h * (a.kv_lora_rank + a.qk_rope_head_dim);         // kv_a_proj_with_mqa
  p += a.kv_lora_rank;                                    // kv_a_layernorm
  p += a.kv_lora_rank * a.num_heads * (a.qk_nope_head_dim + a.v_head_dim);  // kv_b_proj
  p += a.num_heads * a.v_head_dim * h;                    // o_proj
  return p;
}

int64_t gqa_params(const ModelSpec& m) {
  const AttentionSpec& a = m.attention;
  const int64_t h = m.hidden_size;
  const int64_t q_width = a.num_heads * a.head_dim;
  const int64_t kv_width = a.num_kv_heads * a.head_dim;
  int64_t p = h * q_width + 2 * h * kv_width + q_width * h;  // q, k, v, o
  if (a.qkv_bias) p += q_width + 2 * kv_width;
  if (a.qk_norm) p += 2 * a.head_dim;
  return p;
}

}  // namespace

int64_t attention_params(const ModelSpec& model) {
  return model.attention.kind == AttentionKind::kMla ? mla_params(model) : gqa_params(model);
}

ParamCount count_params(const ModelSpec& m) {
  ParamCount c;
  const int64_t h = m.hidden_size;
  c.embedding = m.vocab_size * h;
  c.head = m.tie_embeddings ? 0 : m.vocab_size * h;
  c.final_norm = h;
  c.attention_per_layer = attention_params(m);
  c.layer_norms_per_layer = 2 * h;
  c.dense_ffn_per_layer = swiglu_params(h, m.dense_intermediate_size);

  const int64_t moe_layers = num_moe_layers(m);
  const int64_t dense_layers = num_dense_layers(m);
  if (m.is_moe) {
    const MoeSpec& e = m.moe;
    c.params_per_expert = swiglu_params(h, e.expert_intermediate_size);
    c.router_per_moe_layer = e.num_routed_experts * h + (e.router_bias ? e.num_routed_experts : 0);
    c.moe_layer_total =
        (e.num_routed_experts + e.num_shared_experts) * c.params_per_expert + c.router_per_moe_layer;
    c.moe_layer_active =
        (e.experts_per_token + e.num_shared_experts) * c.params_per_expert + c.router_per_moe_layer;
  }

  const int64_t per_layer_common = c.attention_per_layer + c.layer_norms_per_layer;
  const int64_t edges = c.embedding + c.head + c.final_norm;
  const int64_t common = m.num_layers * per_layer_common + dense_layers * c.dense_ffn_per_layer + edges;
  c.total = common + moe_layers * c.moe_layer_total;
  c.active = common + moe_layers * c.moe_layer_active;

  // An MTP module: RMSNorms of the hidden state and of the next token's embedding, a projection of
  // their concatenation (2h → h), one transformer layer (MoE when the model is), and the shared head's
  // own norm. Embedding and head are shared with the main model.
  if (m.mtp_modules > 0) {
    const int64_t ffn_total = m.is_moe ? c.moe_layer_total : c.dense_ffn_per_layer;
    const int64_t ffn_active = m.is_moe ? c.moe_layer_active : c.dense_ffn_per_layer;
    const int64_t extra = 2 * h + 2 * h * h + h + per_layer_common;
    c.mtp_total = m.mtp_modules * (extra + ffn_total);
    c.mtp_active = m.mtp_modules * (extra + ffn_active);
  }
  return c;
}

double attention_forward_flops_per_token(const ModelSpec& m, int64_t sequence_tokens, bool causal) {
  const AttentionSpec& a = m.attention;
  int64_t qk_dim = a.head_dim, v_dim = a.head_dim;
  if (a.kind == AttentionKind::kMla) {
    qk_dim = a.qk_nope_head_dim + a.qk_rope_head_dim;  // MHA form, as trained
    v_dim = a.v_head_dim;
  }
  const double s = static_cast<double>(sequence_tokens);
  // Keys each query sees on average: all s, or (s + 1) / 2 under a causal mask.
  const double keys_per_query = causal ? (s + 1.0) / 2.0 : s;
  const double per_layer =
      2.0 * static_cast<double>(a.num_heads) * static_cast<double>(qk_dim + v_dim) * keys_per_query;
  return per_layer * static_cast<double>(m.num_layers);
}

double training_flops_per_token(const ModelSpec& m, int64_t sequence_tokens) {
  const ParamCount c = count_params(m);
  // The embedding is a lookup (no multiply-adds); the LM head is a real GEMM and counts.
  const double matmul_params = static_cast<double>(c.active - c.embedding);
  // Forward 1×, backward 2× (input and weight gradients).
  return 6.0 * matmul_params + 3.0 * attention_forward_flops_per_token(m, sequence_tokens, true);
}

}  // namespace moesim::models
