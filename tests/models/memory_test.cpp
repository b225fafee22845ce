#include "models/memory.hpp"

#include <gtest/gtest.h>

#include "models/param_count.hpp"
#include "tests/models/test_models.hpp"

namespace moesim::models {
namespace {

TEST(KvCache, MatchesThePublishedBytesPerToken) {
  EXPECT_DOUBLE_EQ(kv_cache_bytes_per_token(testing::deepseek_v3(), DType::kBf16), 70272.0);
  EXPECT_DOUBLE_EQ(kv_cache_bytes_per_token(testing::deepseek_v3(), DType::kFp8), 40016.0);
  EXPECT_DOUBLE_EQ(kv_cache_bytes_per_token(testing::llama_405b(), DType::kBf16), 516096.0);
  EXPECT_DOUBLE_EQ(kv_cache_bytes_per_token(testing::llama_405b(), DType::kFp8), 258048.0);
}

TEST(WeightBytes, QuantizationShrinksOnlyTheLinearLayers) {
  const ModelSpec m = testing::deepseek_v3();
  const ParamCount c = count_params(m);
  const double bf16 = weight_bytes(m, DType::kBf16);
  EXPECT_DOUBLE_EQ(bf16, 2.0 * static_cast<double>(c.total));
  const double fp8 = weight_bytes(m, DType::kFp8);
  // Embedding and head (1.85B parameters) stay bf16; everything else is ~1 byte plus block scales.
  const double bf16_kept = static_cast<double>(c.embedding + c.head);
  EXPECT_GT(fp8, static_cast<double>(c.total) + bf16_kept);
  EXPECT_LT(fp8, static_cast<double>(c.total) * 1.0003 + bf16_kept + 1e9);
  EXPECT_LT(weight_bytes(m, DType::kInt4), weight_bytes(m, DType::kFp4));
  EXPECT_LT(weight_bytes(m, DType::kFp4), fp8);
}

TEST(WeightBytes, BlockScaleOverheadPerFormat) {
  EXPECT_DOUBLE_EQ(weight_bytes_per_element(DType::kFp8), 1.0 + 4.0 / 16384.0);
  EXPECT_DOUBLE_EQ(weight_bytes_per_element(DType::kInt4), 0.5 + 2.0 / 128.0);
  EXPECT_DOUBLE_EQ(weight_bytes_per_element(DType::kFp4), 0.5625);
}

TEST(TrainingState, ZeroStagesShardProgressivelyMore) {
  TrainingStateSpec s;
  s.data_parallel = 8;
  double previous = 1e300;
  for (ZeroStage z : {ZeroStage::kNone, ZeroStage::kOptimizer, ZeroStage::kGradients, ZeroStage::kParameters}) {
    s.zero = z;
    const double bytes = training_state_bytes(1e9, s);
    EXPECT_LT(bytes, previous);
    previous = bytes;
  }
  s.zero = ZeroStage::kNone;
  EXPECT_DOUBLE_EQ(training_state_bytes(1e9, s), 16e9);  // 2 + 2 + 4 + 8 bytes per parameter
  s.zero = ZeroStage::kParameters;
  EXPECT_DOUBLE_EQ(training_state_bytes(1e9, s), 2e9);
}

TEST(Activations, RecomputationKeepsLess) {
  const ModelSpec m = testing::deepseek_v3();
  const double none = activation_bytes_per_layer(m, 10, 4096, Recompute::kNone);
  const double selective = activation_bytes_per_layer(m, 10, 4096, Recompute::kSelective);
  const double full = activation_bytes_per_layer(m, 10, 4096, Recompute::kFull);
  EXPECT_GT(none, selective);
  EXPECT_GT(selective, full);
  EXPECT_DOUBLE_EQ(full, 4096.0 * 7168 * 2);
}

}  // namespace
}  // namespace moesim::models
