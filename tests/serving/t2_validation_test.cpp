#include "sim/serving/t2_validation.hpp"

#include <gtest/gtest.h>

namespace moesim::sim::serving {
namespace {

TEST(T2Validation, ThreeRowsWithThePublishedReference) {
  const models::RooflineCostModel cost;
  Result<std::vector<ValidationRow>> r = validate_t2_rows(cost, "deepseek-v3-serving-h800", 2000);
  ASSERT_TRUE(r.ok()) << r.errors().front().message;
  ASSERT_EQ(r.value().size(), 3u);
  EXPECT_EQ(r.value()[0].id, "T2.prefill_input_tokens_per_s_per_node");
  EXPECT_DOUBLE_EQ(r.value()[0].published, 73.7e3);
  EXPECT_EQ(r.value()[1].id, "T2.decode_output_tokens_per_s_per_node");
  EXPECT_DOUBLE_EQ(r.value()[1].published, 14.8e3);
  EXPECT_EQ(r.value()[2].id, "T2.tpot_ms");
  for (const ValidationRow& row : r.value()) EXPECT_GT(row.predicted, 0) << row.id;
}

TEST(T2Validation, UnknownScenarioIsAnError) {
  const models::RooflineCostModel cost;
  EXPECT_FALSE(validate_t2_rows(cost, "no-such-serving-scenario", 10).ok());
}

}  // namespace
}  // namespace moesim::sim::serving
