#include "profiler/op_factory.hpp"

#include <algorithm>

#include "models/op_graph.hpp"
#include "traces/calibration_table.hpp"

namespace moesim::profiler {

namespace {

using models::DType;
using models::Op;
using models::OpKind;

// A one-layer model whose attention block contains exactly the core we want; the op graph builder
// then computes its FLOPs and bytes the same way the simulator does.
models::ModelSpec attention_host_model(int64_t heads, int64_t qk_nope, int64_t rope, int64_t v_dim,
                                       int64_t kv_lora) {
  models::ModelSpec m;
  m.name = "cost-probe";
  m.hidden_size = 1024;
  m.num_layers = 1;
  m.vocab_size = 1024;
  m.dense_intermediate_size = 1024;
  m.attention.kind = models::AttentionKind::kMla;
  m.attention.num_heads = heads;
  m.attention.q_lora_rank = 0;
  m.attention.kv_lora_rank = kv_lora;
  m.attention.qk_nope_head_dim = qk_nope;
  m.attention.qk_rope_head_dim = rope;
  m.attention.v_head_dim = v_dim;
  m.max_context_tokens = 1 << 30;
  return m;
}

Op find_core(const std::vector<Op>& ops, OpKind kind) {
  auto it = std::find_if(ops.begin(), ops.end(), [kind](const Op& op) { return op.kind == kind; });
  return it == ops.end() ? Op{} : *it;
}

}  // namespace

Op gemm_op(int64_t m, int64_t n, int64_t k, DType dtype) { return grouped_gemm_op(1, m, n, k, dtype); }

Op grouped_gemm_op(int64_t groups, int64_t m, int64_t n, int64_t k, DType dtype) {
  const double act = models::element_bytes(DType::kBf16);
  const double input = std::min(act, models::element_bytes(dtype));
  Op op = models::make_grouped_gemm(groups > 1 ? "grouped_gemm" : "gemm", groups, m, n, k, dtype,
                                    models::weight_bytes_per_element(dtype), act, true);
  op.bytes_read -= static_cast<double>(groups) * static_cast<double>(m) * static_cast<double>(k) * (act - input);
  return op;
}

Op attention_op(int64_t batch, int64_t tokens, int64_t heads, int64_t qk_dim, int64_t v_dim, bool causal,
                DType dtype) {
  const models::ModelSpec model = attention_host_model(heads, qk_dim, 0, v_dim, 512);
  models::PrecisionSpec precision;
  precision.attention = dtype;
  const models::BatchShape shape{batch, tokens, tokens};
  Op op = find_core(models::build_layer_ops(model, 0, models::Phase::kPrefill, shape, precision).attention,
                    OpKind::kAttention);
  if (!causal && op.flops > 0) {  // the op graph always builds causal cores
    op.flops *= models::attention_pairs(batch, tokens, tokens, false) /
                models::attention_pairs(batch, tokens, tokens, true);
    op.shape.causal = false;
  }
  return op;
}

Op mla_decode_op(int64_t batch, int64_t heads, int64_t context, DType dtype) {
  const models::ModelSpec model = attention_host_model(heads, 128, 64, 128, 512);
  models::PrecisionSpec precision;
  precision.attention = dtype;
  precision.kv_cache = dtype;
  const models::BatchShape shape{batch, 1, context};
  return find_core(models::build_layer_ops(model, 0, models::Phase::kDecode, shape, precision).attention,
                   OpKind::kMlaDecode);
}

Op memory_op(OpKind kind, int64_t elements) {
  const double e = models::element_bytes(DType::kBf16);
  if (kind == OpKind::kNorm) return models::make_memory_op("norm", kind, elements, e, e, 4.0);
  return models::make_memory_op("elementwise", kind, elements, e, e, 1.0);
}

Result<Op> make_op(OpKind kind, DType dtype, const ShapeParams& shape, const std::string& where) {
  const std::vector<traces::ShapeKey>& keys = traces::calibration_shape_keys(kind);
  if (keys.empty()) return bad_input(where + ": op \"" + models::op_kind_name(kind) + "\" has no cost shape yet");
  ShapeParams p;
  std::vector<Error> errors;
  for (const traces::ShapeKey& k : keys) {
    auto it = shape.find(k.name);
    if (it == shape.end()) {
      if (k.required) errors.push_back(bad_input(where + ": '" + k.name + "' is missing, required for op \"" +
                                                 models::op_kind_name(kind) + "\""));
      p[k.name] = k.default_value;
    } else if (it->second < k.min_value) {
      errors.push_back(bad_input(where + ": '" + k.name + "' is " + std::to_string(it->second) + ", expected >= " +
                                 std::to_string(k.min_value)));
    } else {
      p[k.name] = it->second;
    }
  }
  for (const auto& [key, value] : shape) {
    const bool known = std::any_of(keys.begin(), keys.end(), [&](const traces::ShapeKey& k) { return key == k.name; });
    if (!known) errors.push_back(bad_input(where + ": '" + key + "' is not a shape parameter of op \"" +
                                                   models::op_kind_name(kind) + "\""));
  }
  if (!errors.empty()) return errors;
  switch (kind) {
    case OpKind::kGemm: return gemm_op(p["m"], p["n"], p["k"], dtype);
    case OpKind::kGroupedGemm: {
      Op op = grouped_gemm_op(p["groups"], p["m"], p["n"], p["k"], dtype);
      op.kind = OpKind::kGroupedGemm;  // stays in its family even with one group
      return op;
    }
    case OpKind::kAttention:
      return attention_op(p["batch"], p["tokens"], p["heads"], p["qk_dim"], p["v_dim"], p["causal"] != 0, dtype);
    case OpKind::kMlaDecode: return mla_decode_op(p["batch"], p["heads"], p["context"], dtype);
    default: return memory_op(kind, p["elements"]);
  }
}

ShapeParams shape_params_of(const Op& op) {
  const models::OpShape& s = op.shape;
  switch (op.kind) {
    case OpKind::kGemm: return {{"m", s.m}, {"n", s.n}, {"k", s.k}};
    case OpKind::kGroupedGemm: return {{"groups", s.groups}, {"m", s.m}, {"n", s.n}, {"k", s.k}};
    case OpKind::kAttention:
      return {{"batch", s.batch}, {"tokens", s.q_tokens}, {"heads", s.heads}, {"qk_dim", s.qk_dim},
              {"v_dim", s.v_dim}, {"causal", s.causal ? 1 : 0}};
    case OpKind::kMlaDecode: return {{"batch", s.batch}, {"heads", s.heads}, {"context", s.kv_tokens}};
    case OpKind::kNorm:
    case OpKind::kElementwise: return {{"elements", s.elements}};
    default: return {};
  }
}

}  // namespace moesim::profiler
