#include "models/op_graph.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace moesim::models {

namespace {

// Everything a builder needs to know about formats, precomputed once per call.
struct Formats {
  DType gemm;
  double weight_bytes;  // stored weight, with block scales
  double gemm_input_bytes;  // activation operand as the GEMM reads it (fp8 GEMMs read fp8 activations)
  double act_bytes;     // activations between ops
  DType activation;
  DType attention;
};

Formats formats_of(const PrecisionSpec& p) {
  Formats f;
  f.gemm = p.gemm;
  f.weight_bytes = weight_bytes_per_element(p.gemm);
  f.act_bytes = element_bytes(p.activation);
  f.activation = p.activation;
  f.gemm_input_bytes = std::min(f.act_bytes, element_bytes(p.gemm));
  f.attention = p.attention;
  return f;
}

Op weight_gemm(const Formats& f, std::string name, int64_t m, int64_t n, int64_t k) {
  Op op = make_gemm(std::move(name), m, n, k, f.gemm, f.weight_bytes, f.act_bytes, true);
  // The activation operand is read in the GEMM's input format.
  op.bytes_read -= static_cast<double>(m) * static_cast<double>(k) * (f.act_bytes - f.gemm_input_bytes);
  return op;
}

double activation_scale_bytes(DType gemm) { return gemm == DType::kFp4 ? 1.0 / 16.0 : 4.0 / 128.0; }

// Appends `gemm`, preceded by the quantization of its `input_elements` activations when its format
// needs one (see quantizes_activations).
void push_quantized(const Formats& f, Op gemm, int64_t input_elements, std::vector<Op>* ops) {
  if (quantizes_activations(f.gemm)) {
    ops->push_back(activation_quantization_op(gemm.name, input_elements, f.gemm, f.activation));
  }
  ops->push_back(std::move(gemm));
}

// A weight GEMM whose m x k activation input is quantized first.
void push_weight_gemm(const Formats& f, std::string name, int64_t m, int64_t n, int64_t k, std::vector<Op>* ops) {
  push_quantized(f, weight_gemm(f, std::move(name), m, n, k), m * k, ops);
}

Op norm(const Formats& f, std::string name, int64_t elements) {
  return make_memory_op(std::move(name), OpKind::kNorm, elements, f.act_bytes, f.act_bytes, 4.0);
}

Op elementwise(const Formats& f, std::string name, int64_t elements, double reads = 1, double writes = 1) {
  return make_memory_op(std::move(name), OpKind::kElementwise, elements, reads * f.act_bytes,
                        writes * f.act_bytes, 1.0);
}

// The attention core in training/prefill form (FlashAttention-style: scores never reach HBM).
Op attention_core(const Formats& f, int64_t batch, int64_t q_tokens, int64_t kv_tokens, int64_t heads,
                  int64_t qk_dim, int64_t v_dim, int64_t kv_heads) {
  Op op;
  op.name = "attention.core";
  op.kind = OpKind::kAttention;
  op.dtype = f.attention;
  op.shape.batch = batch;
  op.shape.q_tokens = q_tokens;
  op.shape.kv_tokens = kv_tokens;
  op.shape.heads = heads;
  op.shape.kv_heads = kv_heads;
  op.shape.qk_dim = qk_dim;
  op.shape.v_dim = v_dim;
  op.shape.causal = true;
  const double pairs = attention_pairs(batch, q_tokens, kv_tokens, true);
  op.flops = 2.0 * static_cast<double>(heads) * static_cast<double>(qk_dim + v_dim) * pairs;
  const double q = static_cast<double>(batch * q_tokens), kv = static_cast<double>(batch * kv_tokens);
  const double e = element_bytes(f.attention);
  op.bytes_read = e * (q * heads * qk_dim + kv * kv_heads * (qk_dim + v_dim));
  op.bytes_written = f.act_bytes * q * heads * v_dim;
  return op;
}

void add_mla_query(const ModelSpec& m, const Formats& f, int64_t t, std::vector<Op>* ops) {
  const AttentionSpec& a = m.attention;
  const int64_t qk_head = a.qk_nope_head_dim + a.qk_rope_head_dim;
  if (a.q_lora_rank > 0) {
    push_weight_gemm(f, "q_a_proj", t, a.q_lora_rank, m.hidden_size, ops);
    ops->push_back(norm(f, "q_a_norm", t * a.q_lora_rank));
    push_weight_gemm(f, "q_b_proj", t, a.num_heads * qk_head, a.q_lora_rank, ops);
  } else {
    push_weight_gemm(f, "q_proj", t, a.num_heads * qk_head, m.hidden_size, ops);
  }
}

// MLA as trained and prefilled: the latent is up-projected to full per-head keys and values.
void add_mla_mha_form(const ModelSpec& m, const Formats& f, const BatchShape& b, std::vector<Op>* ops) {
  const AttentionSpec& a = m.attention;
  const int64_t t = b.sequences * b.new_tokens;
  const int64_t t_ctx = b.sequences * b.context_tokens;
  add_mla_query(m, f, t, ops);
  // kv_a_proj reads the same normalised hidden state as the query projection: no second quantization.
  ops->push_back(weight_gemm(f, "kv_a_proj", t, a.kv_lora_rank + a.qk_rope_head_dim, m.hidden_size));
  ops->push_back(norm(f, "kv_a_norm", t * a.kv_lora_rank));
  push_weight_gemm(f, "kv_b_proj", t_ctx, a.num_heads * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank, ops);
  ops->push_back(elementwise(f, "rope", t * (a.num_heads + 1) * a.qk_rope_head_dim));
  ops->push_back(attention_core(f, b.sequences, b.new_tokens, b.context_tokens, a.num_heads,
                                a.qk_nope_head_dim + a.qk_rope_head_dim, a.v_head_dim, a.num_heads));
  push_weight_gemm(f, "o_proj", t, m.hidden_size, a.num_heads * a.v_head_dim, ops);
}

// MLA decode with the up-projections absorbed into the query and output: every head attends over the
// shared latent cache (kv_lora + rope wide), which is read once for all heads.
void add_mla_absorbed(const ModelSpec& m, const Formats& f, const BatchShape& b, DType kv_dtype,
                      std::vector<Op>* ops) {
  const AttentionSpec& a = m.attention;
  const int64_t t = b.sequences * b.new_tokens;
  const int64_t latent = a.kv_lora_rank + a.qk_rope_head_dim;
  add_mla_query(m, f, t, ops);
  ops->push_back(weight_gemm(f, "kv_a_proj", t, latent, m.hidden_size));  // input quantized with the query's
  ops->push_back(norm(f, "kv_a_norm", t * a.kv_lora_rank));
  Op q_absorb = make_grouped_gemm("q_absorb", a.num_heads, t, a.kv_lora_rank, a.qk_nope_head_dim, f.gemm,
                                  f.weight_bytes, f.act_bytes, true);
  ops->push_back(q_absorb);
  ops->push_back(elementwise(f, "rope", t * (a.num_heads + 1) * a.qk_rope_head_dim));

  Op core;
  core.name = "attention.mla_decode";
  core.kind = OpKind::kMlaDecode;
  core.dtype = f.attention;
  core.shape.batch = b.sequences;
  core.shape.q_tokens = b.new_tokens;
  core.shape.kv_tokens = b.context_tokens;
  core.shape.heads = a.num_heads;
  core.shape.kv_heads = 1;
  core.shape.qk_dim = latent;
  core.shape.v_dim = a.kv_lora_rank;
  const double pairs = static_cast<double>(t) * static_cast<double>(b.context_tokens);
  core.flops = 2.0 * static_cast<double>(a.num_heads) * static_cast<double>(latent + a.kv_lora_rank) * pairs;
  const double cache_per_token = kv_dtype == DType::kFp8 ? 656.0 : static_cast<double>(latent) * element_bytes(kv_dtype);
  core.bytes_read = static_cast<double>(b.sequences * b.context_tokens) * cache_per_token +
                    static_cast<double>(t * a.num_heads * latent) * f.act_bytes;
  core.bytes_written = static_cast<double>(t * a.num_heads * a.kv_lora_rank) * f.act_bytes;
  ops->push_back(core);

  ops->push_back(make_grouped_gemm("v_absorb", a.num_heads, t, a.v_head_dim, a.kv_lora_rank, f.gemm,
                                   f.weight_bytes, f.act_bytes, true));
  push_weight_gemm(f, "o_proj", t, m.hidden_size, a.num_heads * a.v_head_dim, ops);
}

void add_gqa(const ModelSpec& m, const Formats& f, const BatchShape& b, Phase phase, DType kv_dtype,
             std::vector<Op>* ops) {
  const AttentionSpec& a = m.attention;
  const int64_t t = b.sequences * b.new_tokens;
  push_weight_gemm(f, "qkv_proj", t, (a.num_heads + 2 * a.num_kv_heads) * a.head_dim, m.hidden_size, ops);
  if (a.qk_norm) ops->push_back(norm(f, "qk_norm", t * (a.num_heads + a.num_kv_heads) * a.head_dim));
  ops->push_back(elementwise(f, "rope", t * (a.num_heads + a.num_kv_heads) * a.head_dim));
  if (phase == Phase::kDecode) {
    Op core;
    core.name = "attention.gqa_decode";
    core.kind = OpKind::kGqaDecode;
    core.dtype = f.attention;
    core.shape.batch = b.sequences;
    core.shape.q_tokens = b.new_tokens;
    core.shape.kv_tokens = b.context_tokens;
    core.shape.heads = a.num_heads;
    core.shape.kv_heads = a.num_kv_heads;
    core.shape.qk_dim = a.head_dim;
    core.shape.v_dim = a.head_dim;
    const double pairs = static_cast<double>(t) * static_cast<double>(b.context_tokens);
    core.flops = 2.0 * static_cast<double>(a.num_heads * 2 * a.head_dim) * pairs;
    core.bytes_read = static_cast<double>(b.sequences * b.context_tokens * 2 * a.num_kv_heads * a.head_dim) *
                          element_bytes(kv_dtype) +
                      static_cast<double>(t * a.num_heads * a.head_dim) * f.act_bytes;
    core.bytes_written = static_cast<double>(t * a.num_heads * a.head_dim) * f.act_bytes;
    ops->push_back(core);
  } else {
    ops->push_back(attention_core(f, b.sequences, b.new_tokens, b.context_tokens, a.num_heads, a.head_dim,
                                  a.head_dim, a.num_kv_heads));
  }
  push_weight_gemm(f, "o_proj", t, m.hidden_size, a.num_heads * a.head_dim, ops);
}

void add_moe_ffn(const ModelSpec& m, const Formats& f, int64_t t, LayerOps* layer) {
  const MoeSpec& e = m.moe;
  const int64_t h = m.hidden_size;
  const int64_t inter = e.expert_intermediate_size;
  std::vector<Op>& ops = layer->ffn;
  ops.push_back(norm(f, "ffn_norm", t * h));
  // Router scores are computed in bf16/fp32 even in FP8 training (DeepSeek-V3 keeps gating in bf16).
  Formats router_f = f;
  router_f.gemm = DType::kBf16;
  router_f.weight_bytes = 2;
  router_f.gemm_input_bytes = f.act_bytes;
  ops.push_back(weight_gemm(router_f, "router.gate", t, e.num_routed_experts, h));
  ops.push_back(make_memory_op("router.topk", OpKind::kRouter, t * e.num_routed_experts, 4, 0, 4));
  if (e.num_shared_experts > 0) {
    const int64_t shared_inter = e.num_shared_experts * inter;
    push_weight_gemm(f, "shared.gate_up", t, 2 * shared_inter, h, &ops);
    ops.push_back(elementwise(f, "shared.act", t * shared_inter, 2, 1));
    push_weight_gemm(f, "shared.down", t, h, shared_inter, &ops);
  }
  const int64_t assignments = t * e.experts_per_token;
  layer->routed_token_assignments = static_cast<double>(assignments);
  const int64_t groups = e.num_routed_experts;
  // Balanced routing on average: the simulator replaces this with per-GPU loads.
  const int64_t m_per_group = std::max<int64_t>(1, (assignments + groups - 1) / groups);
  auto routed = [&](std::string name, int64_t n, int64_t k) {
    Op op = make_grouped_gemm(std::move(name), groups, m_per_group, n, k, f.gemm, f.weight_bytes, f.act_bytes, true);
    const double a = static_cast<double>(assignments);
    op.flops = 2.0 * a * static_cast<double>(n) * static_cast<double>(k);
    op.bytes_read = a * static_cast<double>(k) * f.gemm_input_bytes +
                    static_cast<double>(groups * k * n) * f.weight_bytes;
    op.bytes_written = a * static_cast<double>(n) * f.act_bytes;
    return op;
  };
  // Tokens are dispatched already quantized: the shared expert's quantization of the same
  // normalised hidden state serves both; without a shared expert it is a kernel of its own.
  if (e.num_shared_experts == 0 && quantizes_activations(f.gemm)) {
    ops.push_back(activation_quantization_op("dispatch", t * h, f.gemm, f.activation));
  }
  ops.push_back(elementwise(f, "experts.permute", assignments * h));
  ops.push_back(routed("experts.gate_up", 2 * inter, h));
  ops.push_back(elementwise(f, "experts.act", assignments * inter, 2, 1));
  push_quantized(f, routed("experts.down", h, inter), assignments * inter, &ops);
  ops.push_back(elementwise(f, "experts.unpermute_sum", assignments * h, 1, 0));
}

void add_dense_ffn(const ModelSpec& m, const Formats& f, int64_t t, std::vector<Op>* ops) {
  const int64_t h = m.hidden_size, inter = m.dense_intermediate_size;
  ops->push_back(norm(f, "ffn_norm", t * h));
  push_weight_gemm(f, "ffn.gate_up", t, 2 * inter, h, ops);
  ops->push_back(elementwise(f, "ffn.act", t * inter, 2, 1));
  push_weight_gemm(f, "ffn.down", t, h, inter, ops);
}

LayerOps build_forward_layer(const ModelSpec& m, int64_t layer_index, Phase phase, const BatchShape& b,
                             const PrecisionSpec& p) {
  const Formats f = formats_of(p);
  const int64_t t = b.sequences * b.new_tokens;
  LayerOps layer;
  layer.attention.push_back(norm(f, "attn_norm", t * m.hidden_size));
  if (m.attention.kind == AttentionKind::kMla) {
    if (phase == Phase::kDecode) {
      add_mla_absorbed(m, f, b, p.kv_cache, &layer.attention);
    } else {
      add_mla_mha_form(m, f, b, &layer.attention);
    }
  } else {
    add_gqa(m, f, b, phase, p.kv_cache, &layer.attention);
  }
  const bool moe = m.is_moe && layer_index >= m.moe.leading_dense_layers;
  layer.kind = moe ? LayerKind::kMoe : LayerKind::kDense;
  if (moe) {
    add_moe_ffn(m, f, t, &layer);
  } else {
    add_dense_ffn(m, f, t, &layer.ffn);
  }
  return layer;
}

// FP8 backward (technical report 3.5.2): dgrad reads the output gradient quantized in 1x128 tiles and
// wgrad reads it in 128x1 tiles, so one kernel reads the BF16 gradient and writes both layouts;
// wgrad also needs the cached FP8 input transposed, which is dequantized, transposed and
// re-quantized into 128x1 tiles.
void add_backward_quantization(const Op& gemm, double rows, Phase phase, std::vector<Op>* out) {
  const double scaled = element_bytes(gemm.dtype) + activation_scale_bytes(gemm.dtype);
  const bool input = phase == Phase::kTrainBackwardInput;
  const double width = static_cast<double>(input ? gemm.shape.n : gemm.shape.k);
  Op q = make_memory_op(gemm.name + (input ? ".dgrad.quant" : ".wgrad.transpose.quant"), OpKind::kElementwise,
                        static_cast<int64_t>(std::llround(rows * width)), input ? element_bytes(DType::kBf16) : scaled,
                        input ? 2 * scaled : scaled, 1.0);
  out->push_back(q);
}

// Backward ops derived from forward ones. Activation gradients: each weight GEMM's dgrad (same FLOPs),
// the attention core's backward (recompute scores, then dP, dS, dQ, dK, dV: 2.5× the forward FLOPs)
// and memory ops twice over. Weight gradients: each weight GEMM's wgrad (same FLOPs).
std::vector<Op> derive_backward(const std::vector<Op>& forward, Phase phase) {
  std::vector<Op> out;
  for (const Op& op : forward) {
    if (is_quantization_op(op)) continue;  // the gradient passes a cast unchanged
    const bool gemm = op.kind == OpKind::kGemm || op.kind == OpKind::kGroupedGemm;
    const bool quantized = gemm && op.is_weight_gemm && quantizes_activations(op.dtype);
    // Rows of the activation operand (tokens, or expert rows summed over groups).
    const double rows = gemm ? op.flops / (2.0 * static_cast<double>(op.shape.n) * static_cast<double>(op.shape.k)) : 0;
    if (quantized) add_backward_quantization(op, rows, phase, &out);
    if (phase == Phase::kTrainBackwardWeight) {
      if (op.kind == OpKind::kEmbedding) {
        Op scatter = op;
        scatter.name += ".wgrad";
        out.push_back(scatter);
      }
      if (!gemm || !op.is_weight_gemm) continue;
      Op w = op;
      w.name += ".wgrad";
      w.shape.m = op.shape.k;  // dW[k × n] = X^T[k × tokens] · dY[tokens × n]
      w.shape.k = op.shape.m;
      // Reads X[tokens × k] and dY[tokens × n] (FP8 when quantized, else bf16); accumulates dW in fp32.
      const double g = static_cast<double>(op.shape.groups);
      const double tokens = static_cast<double>(op.shape.m), k = static_cast<double>(op.shape.k),
                   n = static_cast<double>(op.shape.n);
      w.bytes_read = g * tokens * (k + n) * (quantized ? element_bytes(op.dtype) : 2.0);
      w.bytes_written = g * k * n * 4.0;
      out.push_back(w);
      continue;
    }
    if (op.kind == OpKind::kEmbedding) continue;  // its gradient is a weight gradient
    Op d = op;
    d.name += gemm ? ".dgrad" : ".backward";
    if (gemm) {
      std::swap(d.shape.n, d.shape.k);  // dX[m × k] = dY[m × n] · W^T[n × k]
    } else if (op.kind == OpKind::kAttention) {
      d.flops = op.flops * 2.5;
      d.bytes_read = op.bytes_read + 2 * op.bytes_written;  // Q, K, V plus O and dO
      d.bytes_written = op.bytes_read;                      // dQ, dK, dV
    } else {
      d.bytes_read = op.bytes_read + op.bytes_written;      // input and output gradient
      d.bytes_written = op.bytes_read;
    }
    out.push_back(d);
  }
  return out;
}

}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kTrainForward: return "forward";
    case Phase::kTrainBackwardInput: return "backward_input";
    case Phase::kTrainBackwardWeight: return "backward_weight";
    case Phase::kPrefill: return "prefill";
    case Phase::kDecode: return "decode";
  }
  return "unknown";
}

LayerOps build_layer_ops(const ModelSpec& model, int64_t layer_index, Phase phase, const BatchShape& batch,
                         const PrecisionSpec& precision) {
  const bool backward = phase == Phase::kTrainBackwardInput || phase == Phase::kTrainBackwardWeight;
  LayerOps layer =
      build_forward_layer(model, layer_index, backward ? Phase::kTrainForward : phase, batch, precision);
  if (backward) {
    layer.attention = derive_backward(layer.attention, phase);
    layer.ffn = derive_backward(layer.ffn, phase);
  }
  return layer;
}

std::vector<Op> build_head_ops(const ModelSpec& m, Phase phase, const BatchShape& b, const PrecisionSpec& p) {
  Formats f = formats_of(p);
  // The LM head stays in bf16 in DeepSeek-V3's FP8 recipe (output head kept in higher precision).
  f.gemm = DType::kBf16;
  f.weight_bytes = 2;
  f.gemm_input_bytes = f.act_bytes;
  const int64_t t = b.sequences * b.new_tokens;
  const int64_t logits_tokens = phase == Phase::kPrefill ? b.sequences : t;
  std::vector<Op> ops;
  ops.push_back(make_memory_op("embedding", OpKind::kEmbedding, t * m.hidden_size, f.act_bytes, f.act_bytes, 0));
  ops.push_back(norm(f, "final_norm", logits_tokens * m.hidden_size));
  ops.push_back(weight_gemm(f, "lm_head", logits_tokens, m.vocab_size, m.hidden_size));
  if (phase != Phase::kPrefill && phase != Phase::kDecode) {
    ops.push_back(elementwise(f, "cross_entropy", logits_tokens * m.vocab_size));
  }
  const bool backward = phase == Phase::kTrainBackwardInput || phase == Phase::kTrainBackwardWeight;
  return backward ? derive_backward(ops, phase) : ops;
}

std::vector<Op> build_mtp_ops(const ModelSpec& m, Phase phase, const BatchShape& b, const PrecisionSpec& p) {
  std::vector<Op> forward;
  if (m.mtp_modules <= 0) return forward;
  const Formats f = formats_of(p);
  const int64_t t = b.sequences * b.new_tokens;
  const Phase fwd_phase = Phase::kTrainForward;
  for (int64_t i = 0; i < m.mtp_modules; ++i) {
    forward.push_back(norm(f, "mtp.hnorm", t * m.hidden_size));
    forward.push_back(norm(f, "mtp.enorm", t * m.hidden_size));
    push_weight_gemm(f, "mtp.eh_proj", t, m.hidden_size, 2 * m.hidden_size, &forward);
    const LayerOps layer = build_forward_layer(m, m.num_layers - 1, fwd_phase, b, p);
    forward.insert(forward.end(), layer.attention.begin(), layer.attention.end());
    forward.insert(forward.end(), layer.ffn.begin(), layer.ffn.end());
    const std::vector<Op> head = build_head_ops(m, fwd_phase, b, p);
    forward.insert(forward.end(), head.begin() + 1, head.end());  // the embedding is shared
  }
  const bool backward = phase == Phase::kTrainBackwardInput || phase == Phase::kTrainBackwardWeight;
  return backward ? derive_backward(forward, phase) : forward;
}

bool quantizes_activations(DType gemm) { return gemm == DType::kFp8 || gemm == DType::kFp4; }

Op activation_quantization_op(const std::string& gemm_name, int64_t elements, DType gemm, DType activation) {
  return make_memory_op(gemm_name + ".quant", OpKind::kElementwise, elements, element_bytes(activation),
                        element_bytes(gemm) + activation_scale_bytes(gemm), 1.0);
}

bool is_quantization_op(const Op& op) {
  const std::string suffix = ".quant";
  return op.kind == OpKind::kElementwise && op.name.size() >= suffix.size() &&
         op.name.compare(op.name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

double total_flops(const std::vector<Op>& ops) {
  double sum = 0;
  for (const Op& op : ops) sum += op.flops;
  return sum;
}

double total_bytes(const std::vector<Op>& ops) {
  double sum = 0;
  for (const Op& op : ops) sum += op.bytes_read + op.bytes_written;
  return sum;
}

}  // namespace moesim::models
