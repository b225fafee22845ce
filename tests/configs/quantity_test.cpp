#include <gtest/gtest.h>

#include "configs/yaml_reader.hpp"

namespace moesim::configs {
namespace {

double parse(const std::string& text, Unit unit) {
  double out = -1;
  std::string expected;
  EXPECT_TRUE(parse_quantity(text, unit, &out, &expected)) << text;
  return out;
}

TEST(Quantity, ParsesUnitsIntoSi) {
  EXPECT_DOUBLE_EQ(parse("80 GB", Unit::kBytes), 80e9);
  EXPECT_DOUBLE_EQ(parse("80 GiB", Unit::kBytes), 80.0 * 1073741824.0);
  EXPECT_DOUBLE_EQ(parse("84943110144 B", Unit::kBytes), 84943110144.0);
  EXPECT_DOUBLE_EQ(parse("400 Gb/s", Unit::kBytesPerSecond), 50e9);
  EXPECT_DOUBLE_EQ(parse("3.35 TB/s", Unit::kBytesPerSecond), 3.35e12);
  EXPECT_DOUBLE_EQ(parse("989 TFLOPS", Unit::kFlopsPerSecond), 989e12);
  EXPECT_DOUBLE_EQ(parse("3.7 us", Unit::kSeconds), 3.7e-6);
  EXPECT_DOUBLE_EQ(parse("700 W", Unit::kWatts), 700);
  EXPECT_DOUBLE_EQ(parse("1e9", Unit::kBytes), 1e9);
  EXPECT_DOUBLE_EQ(parse("2ms", Unit::kSeconds), 2e-3);
}

TEST(Quantity, RejectsWrongUnitsAndGarbage) {
  double out = 0;
  std::string expected;
  EXPECT_FALSE(parse_quantity("80 GX", Unit::kBytes, &out, &expected));
  EXPECT_NE(expected.find("80 GB"), std::string::npos);
  EXPECT_FALSE(parse_quantity("fast", Unit::kBytesPerSecond, &out, &expected));
  EXPECT_FALSE(parse_quantity("400 Gb/s", Unit::kBytes, &out, &expected));
  EXPECT_FALSE(parse_quantity("", Unit::kWatts, &out, &expected));
}

TEST(Nearest, SuggestsCloseKeysOnly) {
  EXPECT_EQ(nearest("num_routed_expert", {"num_routed_experts", "num_shared_experts"}), "num_routed_experts");
  EXPECT_EQ(nearest("zzzzzzzz", {"hidden_size", "num_layers"}), "");
}

}  // namespace
}  // namespace moesim::configs
