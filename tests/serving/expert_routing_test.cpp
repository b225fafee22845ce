#include "sim/serving/expert_routing.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "configs/catalog.hpp"

namespace moesim::sim::serving {
namespace {

models::MoeSpec v3_moe() { return configs::load_model("deepseek-v3").value().moe; }

TEST(ExpertRouting, GreedyPlacementCoversEveryExpertAndFillsSlots) {
  configs::ExpertLoadSpec zipf{configs::ExpertLoadKind::kZipf, 1.2, ""};
  const std::vector<double> p = expert_popularity(zipf, 256, 3).value();
  const std::vector<int> p2l = greedy_placement(p, 288, 144);
  ASSERT_EQ(p2l.size(), 288u);
  std::vector<int> count(256, 0);
  for (int e : p2l) ++count[static_cast<size_t>(e)];
  for (int c : count) EXPECT_GE(c, 1);
  // The hottest expert got the most replicas.
  const size_t hot = static_cast<size_t>(std::max_element(p.begin(), p.end()) - p.begin());
  EXPECT_EQ(count[hot], *std::max_element(count.begin(), count.end()));
  EXPECT_GT(count[hot], 1);
}

TEST(ExpertRouting, RowsConserveTopKAssignments) {
  const models::MoeSpec moe = v3_moe();
  configs::ExpertLoadSpec bal;
  const std::vector<double> p = expert_popularity(bal, 256, 1).value();
  const EpTrafficPerToken t = route_per_token(moe, p, greedy_placement(p, 288, 32), 32, 8, 64, 7);
  const double rows = std::accumulate(t.expert_rows.begin(), t.expert_rows.end(), 0.0);
  EXPECT_NEAR(rows, 32.0 * 8, 1e-9);  // every token of every source GPU lands on 8 expert rows
  const double expected = std::accumulate(t.expected_rows.begin(), t.expected_rows.end(), 0.0);
  EXPECT_NEAR(expected, 32.0 * 8, 1e-9);
  for (size_t g = 0; g < t.expected_rows.size(); ++g) EXPECT_NEAR(t.expected_rows[g], t.expert_rows[g], 0.15 * 8) << g;
  const double pairs = std::accumulate(t.direct_pairs.begin(), t.direct_pairs.end(), 0.0);
  EXPECT_LE(pairs, 32.0 * 8 + 1e-9);
  EXPECT_GT(pairs, 32.0 * 4);
  EXPECT_GE(t.max_over_mean_rows, 1.0);
}

TEST(ExpertRouting, ZipfLoadsAreMoreImbalancedThanBalanced) {
  const models::MoeSpec moe = v3_moe();
  configs::ExpertLoadSpec bal, zipf{configs::ExpertLoadKind::kZipf, 1.0, ""};
  const std::vector<double> pb = expert_popularity(bal, 256, 1).value();
  const std::vector<double> pz = expert_popularity(zipf, 256, 1).value();
  // Without redundant experts, hot experts pile up on their GPUs.
  const double b = route_per_token(moe, pb, greedy_placement(pb, 256, 32), 32, 8, 128, 1).max_over_mean_rows;
  const double z = route_per_token(moe, pz, greedy_placement(pz, 256, 32), 32, 8, 128, 1).max_over_mean_rows;
  EXPECT_GT(z, b);
}

TEST(ExpertRouting, MeasuredLoadFileErrorsNameTheFile) {
  configs::ExpertLoadSpec m{configs::ExpertLoadKind::kMeasured, 1, "/nonexistent/loads.json"};
  Result<std::vector<double>> r = expert_popularity(m, 256, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().front().message, "/nonexistent/loads.json: cannot open file (missing or unreadable)");
}

}  // namespace
}  // namespace moesim::sim::serving
