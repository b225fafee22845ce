// The embedded catalog: every entry loads, and the models reproduce the published identities
// (shared/reference/models.md) from their configs alone.
#include "configs/catalog.hpp"

#include <gtest/gtest.h>

#include "models/memory.hpp"
#include "models/param_count.hpp"

namespace moesim::configs {
namespace {

models::ModelSpec model(const std::string& name) {
  Result<models::ModelSpec> m = load_model(name);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.errors()[0].message);
  return m.ok() ? m.value() : models::ModelSpec{};
}

TEST(Catalog, HasEveryRequiredEntry) {
  const std::vector<std::string> want_models = {"deepseek-v3", "deepseek-v2", "deepseek-v2-lite", "kimi-k2",
                                                "qwen3-235b-a22b", "mixtral-8x7b", "llama-3.1-405b", "qwen-2.5-72b",
                                                "deepseek-r2-a", "deepseek-r2-b"};
  for (const auto& n : want_models) EXPECT_TRUE(load_model(n).ok()) << n;
  for (const auto& n : {"a100", "h100", "h800", "h200", "h20", "b200", "gb200", "mi300x"}) {
    EXPECT_TRUE(load_gpu(n).ok()) << n;
  }
  for (const auto& n : {"dgx-a100", "hgx-h100", "hgx-h800", "hgx-h200", "hgx-b200", "mi300x-8", "gb200-nvl72",
                        "deepseek-h800-2048", "deepseek-h800-prefill-unit", "deepseek-h800-decode-unit"}) {
    Result<models::ClusterSpec> c = load_cluster(n);
    ASSERT_TRUE(c.ok()) << n << ": " << c.errors()[0].message;
    EXPECT_FALSE(c.value().gpu.name.empty());
  }
}

TEST(Catalog, EveryEntryOfEverySectionParses) {
  for (const auto& n : catalog_names("models")) EXPECT_TRUE(load_model(n).ok()) << n;
  for (const auto& n : catalog_names("hardware")) EXPECT_TRUE(load_gpu(n).ok()) << n;
  for (const auto& n : catalog_names("clusters")) EXPECT_TRUE(load_cluster(n).ok()) << n;
}

TEST(Catalog, KvCacheBytesPerTokenMatchThePublishedValues) {
  const std::vector<std::pair<std::string, double>> bf16 = {
      {"deepseek-v3", 70272}, {"deepseek-v2", 69120},     {"deepseek-v2-lite", 31104},
      {"mixtral-8x7b", 131072}, {"qwen3-235b-a22b", 192512}, {"llama-3.1-405b", 516096},
      {"qwen-2.5-72b", 327680}, {"kimi-k2", 70272}};
  for (const auto& [name, bytes] : bf16) {
    EXPECT_DOUBLE_EQ(models::kv_cache_bytes_per_token(model(name), models::DType::kBf16), bytes) << name;
  }
  EXPECT_DOUBLE_EQ(models::kv_cache_bytes_per_token(model("deepseek-v3"), models::DType::kFp8), 40016);
}

TEST(Catalog, DeepSeekV3ParameterCounts) {
  const models::ParamCount c = models::count_params(model("deepseek-v3"));
  EXPECT_NEAR(static_cast<double>(c.total) / 671.0e9, 1.0, 0.003);
  EXPECT_NEAR(static_cast<double>(c.active) / 37.0e9, 1.0, 0.03);
  EXPECT_EQ(c.attention_per_layer, 187107328);
  EXPECT_EQ(c.params_per_expert, 44040192);
}

TEST(Catalog, OtherModelsLandOnTheirPublishedSizes) {
  const std::vector<std::tuple<std::string, double, double>> sizes = {
      {"deepseek-v2", 236e9, 21e9},      {"kimi-k2", 1026.4e9, 32e9},       {"qwen3-235b-a22b", 235e9, 22e9},
      {"mixtral-8x7b", 46.7e9, 12.9e9},  {"qwen-2.5-72b", 72.7e9, 72.7e9},  {"deepseek-v2-lite", 15.7e9, 2.66e9}};
  for (const auto& [name, total, active] : sizes) {
    const models::ParamCount c = models::count_params(model(name));
    EXPECT_NEAR(static_cast<double>(c.total) / total, 1.0, 0.01) << name;
    EXPECT_NEAR(static_cast<double>(c.active) / active, 1.0, 0.05) << name;
  }
}

TEST(Catalog, TrainingFlopsPerTokenMatchIsca25) {
  EXPECT_NEAR(models::training_flops_per_token(model("deepseek-v3")) / 1e9 / 250.0, 1.0, 0.05);
  EXPECT_NEAR(models::training_flops_per_token(model("deepseek-v2")) / 1e9 / 155.0, 1.0, 0.05);
  EXPECT_NEAR(models::training_flops_per_token(model("llama-3.1-405b")) / 1e9 / 2448.0, 1.0, 0.05);
}

TEST(Catalog, WhatIfModelsAreLabelledAndNearTheirRumouredSizes) {
  const models::ModelSpec a = model("deepseek-r2-a");
  const models::ModelSpec b = model("deepseek-r2-b");
  EXPECT_TRUE(a.what_if);
  EXPECT_TRUE(b.what_if);
  EXPECT_FALSE(model("deepseek-v3").what_if);
  EXPECT_NEAR(static_cast<double>(models::count_params(a).total) / 1.2e12, 1.0, 0.05);
  EXPECT_NEAR(static_cast<double>(models::count_params(a).active) / 78e9, 1.0, 0.05);
  EXPECT_NEAR(static_cast<double>(models::count_params(b).total) / 1.2e12, 1.0, 0.05);
  EXPECT_NEAR(static_cast<double>(models::count_params(b).active) / 128e9, 1.0, 0.05);
}

TEST(Catalog, H800UsesDeepSeeksUsableMemoryAndAchievedNvlink) {
  Result<models::ClusterSpec> c = load_cluster("deepseek-h800-2048");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(models::total_gpus(c.value()), 2048);
  EXPECT_DOUBLE_EQ(c.value().gpu.usable_hbm_bytes, 84943110144.0);
  EXPECT_DOUBLE_EQ(models::scale_up_bw_one_way(c.value()), 160e9);
  EXPECT_DOUBLE_EQ(models::scale_out_bw_one_way(c.value()), 50e9);
  EXPECT_EQ(c.value().scale_out.planes, 8);
}

}  // namespace
}  // namespace moesim::configs
