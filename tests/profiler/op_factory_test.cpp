#include "profiler/op_factory.hpp"

#include <gtest/gtest.h>

namespace moesim::profiler {
namespace {

using models::DType;
using models::OpKind;

TEST(OpFactory, GemmUsesModelsBuilder) {
  const models::Op op = gemm_op(4096, 7168, 2048, DType::kBf16);
  EXPECT_EQ(op.kind, OpKind::kGemm);
  EXPECT_DOUBLE_EQ(op.flops, 2.0 * 4096 * 7168 * 2048);
  EXPECT_DOUBLE_EQ(op.bytes_read, 2.0 * (4096.0 * 2048 + 2048.0 * 7168));
  EXPECT_DOUBLE_EQ(op.bytes_written, 2.0 * 4096 * 7168);
  // fp8: weights with 128x128 block scales, activations read as fp8, output bf16.
  const models::Op fp8 = gemm_op(4096, 7168, 2048, DType::kFp8);
  EXPECT_DOUBLE_EQ(fp8.bytes_read, 4096.0 * 2048 + 2048.0 * 7168 * models::weight_bytes_per_element(DType::kFp8));
}

TEST(OpFactory, GroupedGemmStaysGroupedWithOneGroup) {
  auto op = make_op(OpKind::kGroupedGemm, DType::kBf16, {{"groups", 1}, {"m", 8}, {"n", 16}, {"k", 32}}, "t");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(op.value().kind, OpKind::kGroupedGemm);
  EXPECT_DOUBLE_EQ(op.value().flops, 2.0 * 8 * 16 * 32);
}

TEST(OpFactory, AttentionCausalIsAboutHalfOfFull) {
  const models::Op causal = attention_op(1, 4096, 128, 192, 128, true, DType::kBf16);
  const models::Op full = attention_op(1, 4096, 128, 192, 128, false, DType::kBf16);
  EXPECT_EQ(causal.kind, OpKind::kAttention);
  EXPECT_DOUBLE_EQ(full.flops, 2.0 * 128 * (192 + 128) * 4096.0 * 4096.0);
  EXPECT_DOUBLE_EQ(causal.flops, 2.0 * 128 * (192 + 128) * (4096.0 * 4097.0 / 2.0));
  EXPECT_GT(causal.bytes_read, 0);
  EXPECT_FALSE(full.shape.causal);
}

TEST(OpFactory, MlaDecodeReadsTheLatentCache) {
  const models::Op bf16 = mla_decode_op(64, 128, 4096, DType::kBf16);
  const models::Op fp8 = mla_decode_op(64, 128, 4096, DType::kFp8);
  EXPECT_EQ(bf16.kind, OpKind::kMlaDecode);
  EXPECT_EQ(bf16.shape.qk_dim, 576);
  EXPECT_EQ(bf16.shape.v_dim, 512);
  EXPECT_DOUBLE_EQ(bf16.flops, 2.0 * 128 * (576 + 512) * 64.0 * 4096.0);
  // Cache: 576 bf16 values per token vs FlashMLA's 656 B fp8 layout.
  const double q_bytes = 64.0 * 128 * 576 * 2;
  EXPECT_DOUBLE_EQ(bf16.bytes_read, 64.0 * 4096 * 576 * 2 + q_bytes);
  EXPECT_DOUBLE_EQ(fp8.bytes_read, 64.0 * 4096 * 656 + q_bytes);
}

TEST(OpFactory, ShapeParamsRoundTrip) {
  const ShapeParams p = {{"batch", 2}, {"tokens", 512}, {"heads", 16}, {"qk_dim", 128}, {"v_dim", 128}, {"causal", 0}};
  auto op = make_op(OpKind::kAttention, DType::kBf16, p, "t");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(shape_params_of(op.value()), p);
  auto mla = make_op(OpKind::kMlaDecode, DType::kFp8, {{"batch", 4}, {"heads", 16}, {"context", 100}}, "t");
  ASSERT_TRUE(mla.ok());
  EXPECT_EQ(shape_params_of(mla.value()), (ShapeParams{{"batch", 4}, {"heads", 16}, {"context", 100}}));
}

TEST(OpFactory, RejectsBadShapes) {
  auto missing = make_op(OpKind::kGemm, DType::kBf16, {{"m", 1}, {"n", 2}}, "f.json: records[3].tags");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.errors()[0].message, "f.json: records[3].tags: 'k' is missing, required for op \"gemm\"");
  auto unknown = make_op(OpKind::kGemm, DType::kBf16, {{"m", 1}, {"n", 2}, {"k", 3}, {"x", 1}}, "w");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.errors()[0].message, "w: 'x' is not a shape parameter of op \"gemm\"");
  auto zero = make_op(OpKind::kGemm, DType::kBf16, {{"m", 0}, {"n", 2}, {"k", 3}}, "w");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.errors()[0].message, "w: 'm' is 0, expected >= 1");
  auto router = make_op(OpKind::kRouter, DType::kBf16, {}, "w");
  ASSERT_FALSE(router.ok());
}

}  // namespace
}  // namespace moesim::profiler
