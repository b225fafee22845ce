#include "sim/token_router.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "configs/catalog.hpp"

namespace moesim::sim {
namespace {

models::MoeSpec v3_moe() { return configs::load_model("deepseek-v3").value().moe; }

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

TEST(TokenRouterTest, EveryTokenReachesTopKExperts) {
  const TokenTraffic t = route_tokens(v3_moe(), {16, 8}, {256, 7});
  EXPECT_DOUBLE_EQ(sum(t.expert_rows), 16.0 * 256 * 8);
}

TEST(TokenRouterTest, IntranodeGroupHasNoRdmaAndSendsOnlyToOthers) {
  const TokenTraffic t = route_tokens(v3_moe(), {8, 8}, {512, 1});
  EXPECT_EQ(t.nodes, 1);
  EXPECT_DOUBLE_EQ(sum(t.rdma_tokens), 0.0);
  for (int r = 0; r < 8; ++r) EXPECT_DOUBLE_EQ(t.nvl_tokens[r * 8 + r], 0.0);
  // V3 on EP8: a group (32 experts) is one rank and a token picks 4 groups: <= 4 ranks per token.
  EXPECT_LE(t.logical_nvl_tokens_per_rank, 4.0 * 512 + 1e-9);
  EXPECT_GT(t.logical_nvl_tokens_per_rank, 3.0 * 512);
}

TEST(TokenRouterTest, NodeLimitedRoutingKeepsTokensOnAtMostFourNodes) {
  const TokenTraffic t = route_tokens(v3_moe(), {64, 8}, {128, 3});
  EXPECT_EQ(t.nodes, 8);
  EXPECT_LE(t.logical_rdma_tokens_per_rank, 4.0 * 128 + 1e-9);
  // Remote nodes only: at most 4 per token, on average fewer (own node often among them).
  EXPECT_LT(sum(t.rdma_tokens) / 64, 4.0 * 128);
}

TEST(TokenRouterTest, SameSeedSameTrafficOtherSeedOther) {
  const TokenTraffic a = route_tokens(v3_moe(), {16, 8}, {128, 5});
  const TokenTraffic b = route_tokens(v3_moe(), {16, 8}, {128, 5});
  const TokenTraffic c = route_tokens(v3_moe(), {16, 8}, {128, 6});
  EXPECT_EQ(a.nvl_tokens, b.nvl_tokens);
  EXPECT_EQ(a.rdma_tokens, b.rdma_tokens);
  EXPECT_NE(a.nvl_tokens, c.nvl_tokens);
}

TEST(TokenRouterTest, RandomRoutingIsNearlyBalanced) {
  const TokenTraffic t = route_tokens(v3_moe(), {8, 8}, {4096, 1});
  EXPECT_GE(t.max_over_mean_expert_rows, 1.0);
  EXPECT_LT(t.max_over_mean_expert_rows, 1.05);
}

}  // namespace
}  // namespace moesim::sim
