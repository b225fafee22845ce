#include "sim/run_isolated.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>

namespace moesim::sim {
namespace {

TEST(RunIsolatedTest, ReturnsTheChildsNumbers) {
  Result<std::vector<double>> r = run_isolated([] { return std::vector<double>{1.5, -2.0, 3e9}; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), (std::vector<double>{1.5, -2.0, 3e9}));
}

TEST(RunIsolatedTest, EmptyAnswerIsFine) {
  Result<std::vector<double>> r = run_isolated([] { return std::vector<double>{}; });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().empty());
}

TEST(RunIsolatedTest, ACrashingChildIsAnInternalError) {
  Result<std::vector<double>> r = run_isolated([]() -> std::vector<double> {
    std::raise(SIGKILL);
    return {};
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].kind, ErrorKind::kInternal);
  EXPECT_NE(r.errors()[0].message.find("signal"), std::string::npos);
}

TEST(RunIsolatedTest, AThrowingChildIsAnInternalError) {
  Result<std::vector<double>> r = run_isolated([]() -> std::vector<double> { throw 42; });
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors()[0].message.find("status 2"), std::string::npos);
}

}  // namespace
}  // namespace moesim::sim
