// Local sharding: any number of threads gives the same table as one.
#include <gtest/gtest.h>

#include <cmath>

#include "planner/search/sharding.hpp"

namespace moesim::planner::search {
namespace {

TEST(Sharding, ThreadsGiveTheSameTableAsOne) {
  auto fn = [](size_t i, double* row) {
    row[0] = static_cast<double>(i);
    row[1] = std::sqrt(static_cast<double>(i) + 0.5);
  };
  ShardContext one;
  ShardContext three;
  three.jobs = 3;
  const auto a = evaluate_sharded(1001, 2, fn, one);
  const auto b = evaluate_sharded(1001, 2, fn, three);
  ASSERT_EQ(a.size(), 2002u);
  EXPECT_EQ(a, b);
  EXPECT_DOUBLE_EQ(a[2 * 1000], 1000.0);
}

TEST(Sharding, PlainRunIsNotAnMpiRank) {
  Result<ShardContext> ctx = start_sharding(2);
  ASSERT_TRUE(ctx.ok());
  EXPECT_FALSE(ctx.value().mpi);
  EXPECT_EQ(ctx.value().size, 1);
  EXPECT_TRUE(ctx.value().is_root());
  finish_sharding(ctx.value());
}

}  // namespace
}  // namespace moesim::planner::search
