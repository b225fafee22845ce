#include "models/memory.hpp"

#include <string>

#include "models/op_graph.hpp"
#include "models/param_count.hpp"

namespace moesim::models {

namespace {

// Parameters that stay in bf16 under weight quantization: norms, biases and the router, per layer.
int64_t small_params_per_layer(const ModelSpec& m) {
  const AttentionSpec& a = m.attention;
  int64_t p = 2 * m.hidden_size;  // input and post-attention norms
  if (a.kind == AttentionKind::kMla) {
    p += a.q_lora_rank + a.kv_lora_rank;  // internal norms of the compressed paths
  } else {
    if (a.qk_norm) p += 2 * a.head_dim;
    if (a.qkv_bias) p += (a.num_heads + 2 * a.num_kv_heads) * a.head_dim;
  }
  return p;
}

}  // namespace

double weight_bytes(const ModelSpec& m, DType linear_dtype, bool include_mtp) {
  const ParamCount c = count_params(m);
  const int64_t small = m.num_layers * small_params_per_layer(m) + c.final_norm +
                        num_moe_layers(m) * c.router_per_moe_layer;
  const int64_t bf16_params = c.embedding + c.head + small;
  const int64_t linear = c.total - bf16_params;
  double bytes = static_cast<double>(linear) * weight_bytes_per_element(linear_dtype) +
                 static_cast<double>(bf16_params) * 2.0;
  if (include_mtp) bytes += static_cast<double>(c.mtp_total) * weight_bytes_per_element(linear_dtype);
  return bytes;
}

double kv_cache_bytes_per_token(const ModelSpec& m, DType kv_dtype) {
  const AttentionSpec& a = m.attention;
  const double layers = static_cast<double>(m.num_layers);
  if (a.kind == AttentionKind::kMla) {
    if (kv_dtype == DType::kFp8) {
      // FlashMLA's FP8 layout: the latent in fp8 with one fp32 scale per 128 values, rope part in bf16.
      const double per_layer = static_cast<double>(a.kv_lora_rank) * 1.0 +
                               static_cast<double>(a.kv_lora_rank / 128) * 4.0 +
                               static_cast<double>(a.qk_rope_head_dim) * 2.0;
      return layers * per_layer;
    }
    return layers * static_cast<double>(a.kv_lora_rank + a.qk_rope_head_dim) * element_bytes(kv_dtype);
  }
  return layers * 2.0 * static_cast<double>(a.num_kv_heads * a.head_dim) * element_bytes(kv_dtype);
}

double training_state_bytes(double params_on_gpu, const TrainingStateSpec& s) {
  const double dp = static_cast<double>(s.data_parallel > 0 ? s.data_parallel : 1);
  const int zero = static_cast<int>(s.zero);
  const double weights = s.weight_bytes / (zero >= 3 ? dp : 1.0);
  const double grads = s.gradient_bytes / (zero >= 2 ? dp : 1.0);
  const double optimizer = (s.master_weight_bytes + s.optimizer_state_bytes) / (zero >= 1 ? dp : 1.0);
  return params_on_gpu * (weights + grads + optimizer);
}

double activation_bytes_per_layer(const ModelSpec& m, int64_t layer_index, int64_t tokens,
                                  Recompute recompute) {
  const double layer_input = static_cast<double>(tokens * m.hidden_size) * 2.0;
  if (recompute == Recompute::kFull) return layer_input;
  BatchShape batch;
  batch.sequences = 1;
  batch.new_tokens = tokens;
  batch.context_tokens = tokens;
  const LayerOps layer = build_layer_ops(m, layer_index, Phase::kTrainForward, batch, PrecisionSpec{});
  double saved = layer_input;
  auto keep = [&](const Op& op) {
    if (recompute == Recompute::kSelective) {
      // DeepSeek-V3 recomputes every RMSNorm and the MLA up-projections in backward.
      if (op.kind == OpKind::kNorm || op.name == "kv_b_proj" || op.name == "q_b_proj") return;
    }
    if (op.kind == OpKind::kAttention) {
      // FlashAttention keeps its output and one fp32 log-sum-exp per query and head.
      saved += op.bytes_written + static_cast<double>(tokens * op.shape.heads) * 4.0;
      return;
    }
    if (op.kind == OpKind::kRouter) return;  // top-k indices and weights are tiny
    saved += op.bytes_written;
  };
  for (const Op& op : layer.attention) keep(op);
  for (const Op& op : layer.ffn) keep(op);
  return saved;
}

}  // namespace moesim::models
