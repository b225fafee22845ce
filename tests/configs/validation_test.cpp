// One test per validation message, each on a broken copy of a real catalog file: the message must
// name the file, the line, the key path, the value found and what was expected.
#include <gtest/gtest.h>

#include <string>

#include "configs/catalog.hpp"

namespace moesim::configs {
namespace {

std::string real(const std::string& section, const std::string& name) {
  std::string path;
  Result<std::string> text = read_config_text(section, name, &path);
  EXPECT_TRUE(text.ok());
  return text.ok() ? text.value() : "";
}

// Replaces the first occurrence of `from` (which must exist) with `to`.
std::string broken(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "fixture drifted: " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// Asserts exactly one error, containing every piece.
template <class T>
void expect_one_error(const Result<T>& r, const std::vector<std::string>& pieces) {
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors().size(), 1u) << r.errors()[0].message << " / " << r.errors().back().message;
  const std::string& message = r.errors()[0].message;
  EXPECT_EQ(r.errors()[0].kind, ErrorKind::kBadInput);
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line only";
  for (const std::string& piece : pieces) EXPECT_NE(message.find(piece), std::string::npos) << message << "\n  lacks: " << piece;
}

const char* kV3 = "bad/deepseek-v3.yaml";

TEST(Validation, YamlSyntaxErrorNamesTheLine) {
  const std::string text = broken(real("models", "deepseek-v3"), "hidden_size: 7168", "hidden_size: [7168");
  expect_one_error(parse_model(text, kV3), {kV3, "YAML syntax error"});
}

TEST(Validation, TopLevelMustBeAMapping) {
  expect_one_error(parse_model("- just\n- a list\n", kV3), {kV3, ":1:", "expected a YAML mapping", "a list"});
  expect_one_error(parse_model("", kV3), {"empty document"});
}

TEST(Validation, MissingRequiredKey) {
  const std::string text = broken(real("models", "deepseek-v3"), "num_layers: 61\n", "");
  expect_one_error(parse_model(text, kV3), {kV3, "num_layers", "missing required key", "positive integer"});
}

TEST(Validation, WrongTypeNamesValueAndExpectation) {
  const std::string text = broken(real("models", "deepseek-v3"), "hidden_size: 7168", "hidden_size: wide");
  expect_one_error(parse_model(text, kV3), {kV3 + std::string(":5:"), "hidden_size", "\"wide\"", "positive integer"});
}

TEST(Validation, NegativeOrFractionalCountsAreRejected) {
  std::string text = broken(real("models", "deepseek-v3"), "num_routed_experts: 256", "num_routed_experts: -256");
  expect_one_error(parse_model(text, kV3), {"moe.num_routed_experts", "\"-256\"", "positive integer"});
  text = broken(real("models", "deepseek-v3"), "num_layers: 61", "num_layers: 61.5");
  expect_one_error(parse_model(text, kV3), {"num_layers", "\"61.5\""});
}

TEST(Validation, UnknownKeySuggestsTheNearestKnownOne) {
  const std::string text = broken(real("models", "deepseek-v3"), "experts_per_token: 8", "experts_per_tokn: 8");
  const Result<models::ModelSpec> r = parse_model(text, kV3);
  ASSERT_FALSE(r.ok());
  // The misspelt key is unknown, and the real key is now missing: both are reported at once.
  ASSERT_EQ(r.errors().size(), 2u);
  bool suggested = false;
  for (const Error& e : r.errors()) {
    suggested |= e.message.find("moe.experts_per_tokn: unknown key; did you mean \"experts_per_token\"") != std::string::npos;
  }
  EXPECT_TRUE(suggested);
}

TEST(Validation, BadChoiceSuggestsTheNearestChoice) {
  const std::string text = broken(real("models", "deepseek-v3"), "kind: mla", "kind: mlaa");
  expect_one_error(parse_model(text, kV3), {"attention.kind", "\"mlaa\"", "one of: gqa, mla", "did you mean \"mla\""});
}

TEST(Validation, SectionMustBeAMapping) {
  std::string text = real("models", "deepseek-v3");
  text = text.substr(0, text.find("moe:")) + "moe: lots\n";
  expect_one_error(parse_model(text, kV3), {"moe", "\"lots\"", "expected a mapping"});
}

TEST(Validation, BooleanMustBeTrueOrFalse) {
  const std::string text = broken(real("models", "deepseek-v3"), "router_bias: true", "router_bias: maybe");
  expect_one_error(parse_model(text, kV3), {"moe.router_bias", "\"maybe\"", "true or false"});
}

TEST(Validation, TopKMayNotExceedExperts) {
  const std::string text = broken(real("models", "deepseek-v3"), "experts_per_token: 8", "experts_per_token: 300");
  expect_one_error(parse_model(text, kV3), {kV3 + std::string(":23:"), "moe.experts_per_token", "300", "exceeds num_routed_experts=256"});
}

TEST(Validation, GroupsMustDivideExperts) {
  const std::string text = broken(real("models", "deepseek-v3"), "num_expert_groups: 8", "num_expert_groups: 7");
  const Result<models::ModelSpec> r = parse_model(text, kV3);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors()[0].message.find("moe.num_expert_groups: 7 does not divide num_routed_experts=256"), std::string::npos)
      << r.errors()[0].message;
}

TEST(Validation, GroupsPerTokenMayNotExceedGroups) {
  const std::string text = broken(real("models", "deepseek-v3"), "groups_per_token: 4", "groups_per_token: 9");
  expect_one_error(parse_model(text, kV3), {"moe.groups_per_token", "9 exceeds num_expert_groups=8"});
}

TEST(Validation, ChosenGroupsMustHoldTopK) {
  std::string text = broken(real("models", "deepseek-v3"), "groups_per_token: 4", "groups_per_token: 1");
  text = broken(text, "experts_per_token: 8", "experts_per_token: 40");
  expect_one_error(parse_model(text, kV3), {"moe.groups_per_token", "cannot hold experts_per_token=40"});
}

TEST(Validation, LeadingDenseLayersMustLeaveAnMoeLayer) {
  const std::string text = broken(real("models", "deepseek-v3"), "leading_dense_layers: 3", "leading_dense_layers: 61");
  expect_one_error(parse_model(text, kV3), {"moe.leading_dense_layers", "61 leaves no MoE layer"});
}

TEST(Validation, DenseLayersNeedAnIntermediateSize) {
  const std::string text = broken(real("models", "deepseek-v3"), "dense_intermediate_size: 18432\n", "");
  expect_one_error(parse_model(text, kV3), {"dense_intermediate_size", "the model has dense FFN layers"});
}

TEST(Validation, KvHeadsMustDivideQueryHeads) {
  const std::string text = broken(real("models", "mixtral-8x7b"), "num_kv_heads: 8", "num_kv_heads: 6");
  expect_one_error(parse_model(text, "bad/mixtral.yaml"), {"attention.num_kv_heads", "6 does not divide num_heads=32"});
}

TEST(Validation, RopeWidthMustBeEven) {
  const std::string text = broken(real("models", "deepseek-v3"), "qk_rope_head_dim: 64", "qk_rope_head_dim: 63");
  expect_one_error(parse_model(text, kV3), {"attention.qk_rope_head_dim", "63 is odd"});
}

TEST(Validation, ManyProblemsAreReportedAtOnce) {
  std::string text = broken(real("models", "deepseek-v3"), "hidden_size: 7168", "hidden_size: wide");
  text = broken(text, "vocab_size: 129280", "vocab_sise: 129280");
  text = broken(text, "kind: mla", "kind: mha");
  const Result<models::ModelSpec> r = parse_model(text, kV3);
  ASSERT_FALSE(r.ok());
  EXPECT_GE(r.errors().size(), 4u);  // wrong type, unknown key, missing key, bad choice
}

const char* kH800 = "bad/h800.yaml";

TEST(Validation, QuantityWithAnUnknownUnit) {
  const std::string text = broken(real("hardware", "h800"), "hbm: 80 GiB", "hbm: 80 GX");
  expect_one_error(parse_gpu(text, kH800), {kH800, "hbm", "\"80 GX\"", "80 GB"});
}

TEST(Validation, BandwidthGivenAsASize) {
  const std::string text = broken(real("hardware", "h800"), "hbm_bandwidth: 3.35 TB/s", "hbm_bandwidth: 3.35 TB");
  expect_one_error(parse_gpu(text, kH800), {"hbm_bandwidth", "\"3.35 TB\"", "bandwidth"});
}

TEST(Validation, UnknownNumberFormatInPeaks) {
  const std::string text = broken(real("hardware", "h800"), "fp8: 1979 TFLOPS", "fp9: 1979 TFLOPS");
  expect_one_error(parse_gpu(text, kH800), {"peak_tensor.fp9", "unknown number format"});
}

TEST(Validation, EveryGpuNeedsABf16Peak) {
  const std::string text = broken(real("hardware", "h800"), "  bf16: 989 TFLOPS\n", "");
  expect_one_error(parse_gpu(text, kH800), {"peak_tensor", "no bf16 entry"});
}

TEST(Validation, UsableMemoryCannotExceedPhysical) {
  const std::string text = broken(real("hardware", "h800"), "hbm: 80 GiB", "hbm: 80 GB");
  expect_one_error(parse_gpu(text, kH800), {"usable_hbm", "exceeds hbm="});
}

TEST(Validation, PriceMustBePositive) {
  const std::string text = broken(real("hardware", "h800"), "price_usd_per_gpu_hour: 2.0", "price_usd_per_gpu_hour: -2");
  expect_one_error(parse_gpu(text, kH800), {"price_usd_per_gpu_hour", "\"-2\"", "number >"});
}

const char* kCluster = "bad/deepseek-h800-2048.yaml";

TEST(Validation, NicEfficiencyIsAFraction) {
  const std::string text = broken(real("clusters", "deepseek-h800-2048"), "oversubscription: 1.0",
                                  "oversubscription: 1.0\n  efficiency: 1.5");
  expect_one_error(parse_cluster(text, kCluster), {"scale_out.efficiency", "fraction in (0, 1]"});
}

TEST(Validation, AtMostOnePlanePerGpu) {
  const std::string text = broken(real("clusters", "deepseek-h800-2048"), "planes: 8", "planes: 16");
  expect_one_error(parse_cluster(text, kCluster), {"scale_out.planes", "16 exceeds gpus_per_node=8"});
}

TEST(Validation, ScaleUpDomainMustTileTheCluster) {
  const std::string text = broken(real("clusters", "deepseek-h800-2048"), "domain_gpus: 8", "domain_gpus: 12");
  expect_one_error(parse_cluster(text, kCluster), {"scale_up.domain_gpus", "12 does not tile"});
}

TEST(Validation, ClusterNamingAnUnknownGpu) {
  const std::string text = broken(real("clusters", "hgx-h800"), "gpu: h800", "gpu: h900");
  Result<models::ClusterSpec> parsed = parse_cluster(text, "x.yaml");
  ASSERT_TRUE(parsed.ok());
  Result<models::GpuSpec> gpu = load_gpu(parsed.value().gpu_name);
  expect_one_error(gpu, {"no hardware entry named \"h900\"", "did you mean \"h", "known: a100"});
}

TEST(Validation, UnknownCatalogNameSuggestsOne) {
  expect_one_error(load_model("deepseek-v4"), {"no models entry named \"deepseek-v4\"", "did you mean"});
}

TEST(Validation, MissingFileIsNamed) {
  expect_one_error(load_model("/nonexistent/model.yaml"), {"/nonexistent/model.yaml", "cannot open file"});
}

}  // namespace
}  // namespace moesim::configs
