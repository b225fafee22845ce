#include "models/param_count.hpp"

#include <gtest/gtest.h>

#include "tests/models/test_models.hpp"

namespace moesim::models {
namespace {

TEST(ParamCount, DeepSeekV3PiecesMatchTheConfigArithmetic) {
  const ParamCount c = count_params(testing::deepseek_v3());
  EXPECT_EQ(c.attention_per_layer, 187107328);  // shared/reference/models.md
  EXPECT_EQ(c.params_per_expert, 44040192);
  EXPECT_EQ(c.embedding, 129280LL * 7168);
  EXPECT_EQ(c.head, 129280LL * 7168);
}

TEST(ParamCount, DeepSeekV3TotalsAreNearThePublishedOnes) {
  const ParamCount c = count_params(testing::deepseek_v3());
  EXPECT_NEAR(static_cast<double>(c.total), 671.0e9, 671.0e9 * 0.003);
  EXPECT_NEAR(static_cast<double>(c.active), 37.0e9, 37.0e9 * 0.03);
  // MTP: one extra MoE layer plus its projection; published as about 11.5B unique parameters.
  EXPECT_NEAR(static_cast<double>(c.mtp_total), 11.5e9, 11.5e9 * 0.02);
}

TEST(ParamCount, DenseModelHasEqualTotalAndActive) {
  const ParamCount c = count_params(testing::llama_405b());
  EXPECT_EQ(c.total, c.active);
  EXPECT_EQ(c.total, 405853388800LL);  // the released checkpoint's exact count
}

TEST(ParamCount, TiedEmbeddingsHaveNoSeparateHead) {
  ModelSpec m = testing::llama_405b();
  m.tie_embeddings = true;
  EXPECT_EQ(count_params(m).head, 0);
  EXPECT_EQ(count_params(testing::llama_405b()).total - count_params(m).total, 128256LL * 16384);
}

TEST(ParamCount, FullRankQueryReplacesTheLowRankPath) {
  ModelSpec m = testing::deepseek_v3();
  m.attention.q_lora_rank = 0;
  EXPECT_EQ(attention_params(m), 7168LL * 128 * 192 + 7168LL * 576 + 512 + 512LL * 128 * 256 + 128LL * 128 * 7168);
}

TEST(TrainingFlops, MatchIsca25WithinFivePercent) {
  EXPECT_NEAR(training_flops_per_token(testing::deepseek_v3()) / 1e9, 250.0, 250.0 * 0.05);
  EXPECT_NEAR(training_flops_per_token(testing::llama_405b()) / 1e9, 2448.0, 2448.0 * 0.05);
}

TEST(TrainingFlops, CausalAttentionIsAboutHalfOfFull) {
  const ModelSpec m = testing::deepseek_v3();
  const double causal = attention_forward_flops_per_token(m, 4096, true);
  const double full = attention_forward_flops_per_token(m, 4096, false);
  EXPECT_NEAR(causal / full, 0.5, 0.001);
  EXPECT_GT(causal, 0);
}

}  // namespace
}  // namespace moesim::models
