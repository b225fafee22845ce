#include "models/op_graph.hpp"

#include <gtest/gtest.h>

#include "models/param_count.hpp"
#include "tests/models/test_models.hpp"

namespace moesim::models {
namespace {

BatchShape training_batch(int64_t tokens) { return BatchShape{1, tokens, tokens}; }

double layer_flops(const LayerOps& l) { return total_flops(l.attention) + total_flops(l.ffn); }

double model_flops(const ModelSpec& m, Phase phase, const BatchShape& b) {
  double sum = total_flops(build_head_ops(m, phase, b, PrecisionSpec{}));
  for (int64_t i = 0; i < m.num_layers; ++i) sum += layer_flops(build_layer_ops(m, i, phase, b, PrecisionSpec{}));
  return sum;
}

TEST(OpGraph, TrainingFlopsAgreeWithTheClosedForm) {
  // The op graph (forward + both backward halves) must land on 6 × active + 3 × causal attention,
  // up to the small non-GEMM terms and the attention backward factor (2.5× vs the formula's 2×).
  const ModelSpec m = testing::deepseek_v3();
  const BatchShape b = training_batch(4096);
  const double graph = model_flops(m, Phase::kTrainForward, b) + model_flops(m, Phase::kTrainBackwardInput, b) +
                       model_flops(m, Phase::kTrainBackwardWeight, b);
  const double formula = training_flops_per_token(m, 4096) * 4096;
  EXPECT_NEAR(graph / formula, 1.0, 0.08);
}

TEST(OpGraph, ForwardMatmulFlopsAreTwiceActiveParams) {
  const ModelSpec m = testing::llama_405b();
  const BatchShape b = training_batch(1);
  const ParamCount c = count_params(m);
  double gemm = 0;
  for (int64_t i = 0; i < m.num_layers; ++i) {
    const LayerOps l = build_layer_ops(m, i, Phase::kTrainForward, b, PrecisionSpec{});
    for (const auto* ops : {&l.attention, &l.ffn}) {
      for (const Op& op : *ops) {
        if (op.is_weight_gemm) gemm += op.flops;
      }
    }
  }
  for (const Op& op : build_head_ops(m, Phase::kTrainForward, b, PrecisionSpec{})) {
    if (op.is_weight_gemm) gemm += op.flops;
  }
  const double matmul_params = static_cast<double>(c.total - c.embedding - c.final_norm -
                                                   m.num_layers * c.layer_norms_per_layer);
  EXPECT_DOUBLE_EQ(gemm, 2.0 * matmul_params);
}

TEST(OpGraph, LeadingLayersAreDenseThenMoe) {
  const ModelSpec m = testing::deepseek_v3();
  EXPECT_EQ(build_layer_ops(m, 2, Phase::kTrainForward, training_batch(16), PrecisionSpec{}).kind, LayerKind::kDense);
  const LayerOps moe = build_layer_ops(m, 3, Phase::kTrainForward, training_batch(16), PrecisionSpec{});
  EXPECT_EQ(moe.kind, LayerKind::kMoe);
  EXPECT_DOUBLE_EQ(moe.routed_token_assignments, 16.0 * 8);
}

TEST(OpGraph, DecodeUsesTheAbsorbedMlaFormAndReadsTheLatentCacheOnce) {
  const ModelSpec m = testing::deepseek_v3();
  const BatchShape b{32, 1, 4096};
  const LayerOps l = build_layer_ops(m, 10, Phase::kDecode, b, PrecisionSpec{});
  const Op* core = nullptr;
  for (const Op& op : l.attention) {
    if (op.kind == OpKind::kMlaDecode) core = &op;
    EXPECT_NE(op.name, "kv_b_proj") << "decode must not up-project the cache";
  }
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(core->shape.qk_dim, 576);
  EXPECT_EQ(core->shape.v_dim, 512);
  const double cache_bytes = 32.0 * 4096 * 576 * 2;
  EXPECT_GE(core->bytes_read, cache_bytes);
  EXPECT_LT(core->bytes_read, cache_bytes * 1.1);
}

TEST(OpGraph, Fp8KvCacheUsesTheFlashMlaLayout) {
  const ModelSpec m = testing::deepseek_v3();
  PrecisionSpec p;
  p.kv_cache = DType::kFp8;
  const LayerOps l = build_layer_ops(m, 10, Phase::kDecode, BatchShape{1, 1, 1000}, p);
  for (const Op& op : l.attention) {
    if (op.kind == OpKind::kMlaDecode) {
      EXPECT_NEAR(op.bytes_read, 1000 * 656.0 + 128 * 576 * 2, 1e-6);
    }
  }
}

TEST(OpGraph, PrefillComputesLogitsOnlyForTheLastToken) {
  const ModelSpec m = testing::deepseek_v3();
  const std::vector<Op> head = build_head_ops(m, Phase::kPrefill, BatchShape{4, 1000, 1000}, PrecisionSpec{});
  for (const Op& op : head) {
    if (op.name == "lm_head") {
      EXPECT_EQ(op.shape.m, 4);
    }
  }
}

TEST(OpGraph, BackwardWeightHasOneWgradPerWeightGemm) {
  const ModelSpec m = testing::deepseek_v3();
  const LayerOps fwd = build_layer_ops(m, 5, Phase::kTrainForward, training_batch(64), PrecisionSpec{});
  const LayerOps wgrad = build_layer_ops(m, 5, Phase::kTrainBackwardWeight, training_batch(64), PrecisionSpec{});
  int weight_gemms = 0;
  for (const Op& op : fwd.attention) weight_gemms += op.is_weight_gemm;
  for (const Op& op : fwd.ffn) weight_gemms += op.is_weight_gemm;
  EXPECT_EQ(static_cast<int>(wgrad.attention.size() + wgrad.ffn.size()), weight_gemms);
  EXPECT_NEAR(layer_flops(wgrad) / layer_flops(fwd), 1.0, 0.1);
}

std::vector<Op> all_ops(const LayerOps& l) {
  std::vector<Op> ops = l.attention;
  ops.insert(ops.end(), l.ffn.begin(), l.ffn.end());
  return ops;
}

const Op* find_op(const std::vector<Op>& ops, const std::string& name) {
  for (const Op& op : ops)
    if (op.name == name) return &op;
  return nullptr;
}

TEST(OpGraph, Fp8GemmInputsAreQuantizedOnlineAndBf16OnesAreNot) {
  const ModelSpec m = testing::deepseek_v3();
  PrecisionSpec fp8;
  fp8.gemm = DType::kFp8;
  const std::vector<Op> bf16_ops = all_ops(build_layer_ops(m, 5, Phase::kTrainForward, training_batch(64), PrecisionSpec{}));
  for (const Op& op : bf16_ops) EXPECT_FALSE(is_quantization_op(op)) << op.name;
  const std::vector<Op> ops = all_ops(build_layer_ops(m, 5, Phase::kTrainForward, training_batch(64), fp8));
  // o_proj's input: 64 tokens x 128 heads x 128; read as BF16, written as FP8 + an FP32 scale per 128.
  const Op* q = find_op(ops, "o_proj.quant");
  ASSERT_NE(q, nullptr);
  EXPECT_DOUBLE_EQ(q->bytes_read, 64.0 * 16384 * 2);
  EXPECT_DOUBLE_EQ(q->bytes_written, 64.0 * 16384 * (1 + 4.0 / 128));
  // Routed experts' down projection quantizes its 64 x top-8 rows of 2,048.
  ASSERT_NE(find_op(ops, "experts.down.quant"), nullptr);
  EXPECT_EQ(find_op(ops, "experts.down.quant")->shape.elements, 64 * 8 * 2048);
  // kv_a_proj shares the query projection's quantized input; the BF16 router has none.
  EXPECT_EQ(find_op(ops, "kv_a_proj.quant"), nullptr);
  EXPECT_EQ(find_op(ops, "router.gate.quant"), nullptr);
}

TEST(OpGraph, Fp8BackwardQuantizesGradientsInBothLayoutsAndTransposesInputs) {
  const ModelSpec m = testing::deepseek_v3();
  PrecisionSpec fp8;
  fp8.gemm = DType::kFp8;
  const std::vector<Op> dgrad = all_ops(build_layer_ops(m, 5, Phase::kTrainBackwardInput, training_batch(64), fp8));
  const std::vector<Op> wgrad = all_ops(build_layer_ops(m, 5, Phase::kTrainBackwardWeight, training_batch(64), fp8));
  // dY of o_proj is 64 x 7168: read once in BF16, written in 1x128 and 128x1 tiles.
  const Op* dq = find_op(dgrad, "o_proj.dgrad.quant");
  ASSERT_NE(dq, nullptr);
  EXPECT_DOUBLE_EQ(dq->bytes_read, 64.0 * 7168 * 2);
  EXPECT_DOUBLE_EQ(dq->bytes_written, 2 * 64.0 * 7168 * (1 + 4.0 / 128));
  // The cached FP8 input of o_proj (64 x 16384) is transposed for wgrad.
  const Op* tq = find_op(wgrad, "o_proj.wgrad.transpose.quant");
  ASSERT_NE(tq, nullptr);
  EXPECT_EQ(tq->shape.elements, 64 * 16384);
  // No backward op is derived from a forward quantization, and the router stays BF16.
  for (const Op& op : dgrad) EXPECT_EQ(op.name.find(".quant.backward"), std::string::npos) << op.name;
  EXPECT_EQ(find_op(dgrad, "router.gate.dgrad.quant"), nullptr);
}

TEST(OpGraph, CausalPairsCountTheTriangle) {
  EXPECT_DOUBLE_EQ(attention_pairs(1, 4, 4, true), 10.0);
  EXPECT_DOUBLE_EQ(attention_pairs(2, 2, 6, true), 2 * (2 * 4 + 3));
  EXPECT_DOUBLE_EQ(attention_pairs(3, 4, 4, false), 48.0);
}

}  // namespace
}  // namespace moesim::models
