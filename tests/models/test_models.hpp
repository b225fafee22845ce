// Model specs written out in code for models/ unit tests (which must not depend on configs/).
#pragma once

#include "models/model_spec.hpp"

namespace moesim::models::testing {

inline ModelSpec deepseek_v3() {
  ModelSpec m;
  m.name = "deepseek-v3";
  m.hidden_size = 7168;
  m.num_layers = 61;
  m.vocab_size = 129280;
  m.dense_intermediate_size = 18432;
  m.mtp_modules = 1;
  m.attention.kind = AttentionKind::kMla;
  m.attention.num_heads = 128;
  m.attention.q_lora_rank = 1536;
  m.attention.kv_lora_rank = 512;
  m.attention.qk_nope_head_dim = 128;
  m.attention.qk_rope_head_dim = 64;
  m.attention.v_head_dim = 128;
  m.is_moe = true;
  m.moe.num_routed_experts = 256;
  m.moe.num_shared_experts = 1;
  m.moe.experts_per_token = 8;
  m.moe.expert_intermediate_size = 2048;
  m.moe.leading_dense_layers = 3;
  m.moe.num_expert_groups = 8;
  m.moe.groups_per_token = 4;
  m.moe.router_bias = true;
  return m;
}

inline ModelSpec llama_405b() {
  ModelSpec m;
  m.name = "llama-3.1-405b";
  m.hidden_size = 16384;
  m.num_layers = 126;
  m.vocab_size = 128256;
  m.dense_intermediate_size = 53248;
  m.attention.kind = AttentionKind::kGqa;
  m.attention.num_heads = 128;
  m.attention.num_kv_heads = 8;
  m.attention.head_dim = 128;
  return m;
}

}  // namespace moesim::models::testing
