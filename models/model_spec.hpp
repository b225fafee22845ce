// The architecture of one LLM, as read from its published config: enough to count parameters,
// build per-layer op graphs, and size weights and KV cache. Plain aggregate; validated in configs/.
#pragma once

#include <cstdint>
#include <string>

namespace moesim::models {

enum class AttentionKind {
  kMla,  // DeepSeek multi-head latent attention: low-rank compressed KV (and optionally query)
  kGqa,  // grouped-query attention (num_kv_heads == num_heads is plain MHA)
};

struct AttentionSpec {
  AttentionKind kind = AttentionKind::kGqa;
  int64_t num_heads = 0;           // query heads
  // GQA/MHA only.
  int64_t num_kv_heads = 0;        // key/value heads
  int64_t head_dim = 0;            // per-head width of q, k and v
  bool qkv_bias = false;           // bias on the q/k/v projections (Qwen-2.5)
  bool qk_norm = false;            // per-head RMSNorm on q and k (Qwen3)
  // MLA only.
  int64_t q_lora_rank = 0;         // query compression rank; 0 = full-rank query projection
  int64_t kv_lora_rank = 0;        // width of the compressed latent KV
  int64_t qk_nope_head_dim = 0;    // per-head query/key width without rotary embedding
  int64_t qk_rope_head_dim = 0;    // per-head (query) / shared (key) rotary width
  int64_t v_head_dim = 0;          // per-head value width
};

enum class RouterScoring { kSoftmax, kSigmoid };

// Fine-grained routed experts plus always-on shared experts (DeepSeekMoE). Absent for dense models.
struct MoeSpec {
  int64_t num_routed_experts = 0;
  int64_t num_shared_experts = 0;
  int64_t experts_per_token = 0;         // top-k over routed experts
  int64_t expert_intermediate_size = 0;  // SwiGLU width of one expert (routed and shared alike)
  int64_t leading_dense_layers = 0;      // the first layers use a dense FFN instead of experts
  int64_t num_expert_groups = 1;         // experts split into contiguous groups for group-limited routing
  int64_t groups_per_token = 1;          // groups a token may route into
  int64_t max_nodes_per_token = 0;       // node-limited routing (0 = unlimited)
  RouterScoring scoring = RouterScoring::kSoftmax;
  bool router_bias = false;              // per-expert bias for auxiliary-loss-free balancing
};

struct ModelSpec {
  std::string name;          // catalog name, lower case, e.g. "deepseek-v3"
  std::string display_name;  // e.g. "DeepSeek-V3 / R1"
  std::string source;        // where the numbers come from
  bool what_if = false;      // a hypothetical model (never a published fact)

  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t vocab_size = 0;
  bool tie_embeddings = false;
  int64_t dense_intermediate_size = 0;  // SwiGLU width of a dense FFN layer (0 if every layer is MoE)
  AttentionSpec attention;
  bool is_moe = false;
  MoeSpec moe;                          // meaningful only when is_moe
  int64_t mtp_modules = 0;              // multi-token-prediction modules (DeepSeek-V3: 1)

  int64_t max_context_tokens = 0;       // longest supported context
  double pretraining_tokens = 0;        // as published, for cost questions
};

inline int64_t num_moe_layers(const ModelSpec& m) {
  return m.is_moe ? m.num_layers - m.moe.leading_dense_layers : 0;
}
inline int64_t num_dense_layers(const ModelSpec& m) { return m.num_layers - num_moe_layers(m); }

}  // namespace moesim::models
