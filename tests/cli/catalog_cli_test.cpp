// `moesim models`, `model show`, `hardware`: the JSON contract, exit codes and one-line errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/run_moesim.hpp"

namespace moesim::testing {
namespace {

nlohmann::json run_json(const std::string& args) {
  const RunResult r = run_moesim(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  return nlohmann::json::parse(r.out);
}

void expect_bad_input(const RunResult& r, const std::string& piece) {
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << "nothing on stdout when failing: " << r.out;
  ASSERT_FALSE(r.err_lines().empty());
  for (const std::string& line : r.err_lines()) EXPECT_EQ(line.rfind("moesim: error: ", 0), 0u) << line;
  EXPECT_NE(r.err.find(piece), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("terminate"), std::string::npos);
}

TEST(CatalogCli, ModelShowJsonHasTheContractKeys) {
  const nlohmann::json doc = run_json("model show deepseek-v3 --json");
  EXPECT_EQ(doc["schema_version"], 1);
  EXPECT_NEAR(doc["total_params"].get<double>() / 671e9, 1.0, 0.003);
  EXPECT_NEAR(doc["active_params"].get<double>() / 37e9, 1.0, 0.03);
  EXPECT_EQ(doc["kv_cache_bytes_per_token"]["bf16"].get<double>(), 70272);
  EXPECT_EQ(doc["kv_cache_bytes_per_token"]["fp8"].get<double>(), 40016);
  EXPECT_NEAR(doc["training_flops_per_token"].get<double>() / 250e9, 1.0, 0.05);
  EXPECT_EQ(doc["model"]["name"], "deepseek-v3");
  EXPECT_EQ(doc["config_hash"].get<std::string>().size(), 16u);
}

TEST(CatalogCli, DefaultModelIsDeepSeekV3) {
  EXPECT_EQ(run_json("model show --json")["model"]["name"], "deepseek-v3");
}

TEST(CatalogCli, ModelsAndHardwareListEverything) {
  EXPECT_EQ(run_json("models --json")["models"].size(), 11u);
  const nlohmann::json hw = run_json("hardware --json");
  EXPECT_EQ(hw["gpus"].size(), 8u);
  EXPECT_GE(hw["clusters"].size(), 10u);
}

TEST(CatalogCli, TablesPrintWithoutErrors) {
  for (const char* args : {"models", "model show deepseek-v3", "hardware", "model show kimi-k2 --ops decode"}) {
    const RunResult r = run_moesim(args);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
    EXPECT_FALSE(r.out.empty()) << args;
  }
}

TEST(CatalogCli, OpGraphOfALayer) {
  const nlohmann::json doc = run_json("model show deepseek-v3 --ops decode --sequences 64 --context 4096 --json");
  EXPECT_EQ(doc["layer_ops"]["layer_kind"], "moe");
  bool has_mla = false;
  for (const auto& op : doc["layer_ops"]["attention"]) has_mla |= op["kind"] == "mla_decode";
  EXPECT_TRUE(has_mla);
}

TEST(CatalogCli, OutputIsByteIdenticalAcrossRuns) {
  EXPECT_EQ(run_moesim("model show deepseek-v3 --json").out, run_moesim("model show deepseek-v3 --json").out);
  EXPECT_EQ(run_moesim("hardware").out, run_moesim("hardware").out);
}

TEST(CatalogCli, UnknownModelIsBadInput) { expect_bad_input(run_moesim("model show gpt-9"), "no models entry named \"gpt-9\""); }

TEST(CatalogCli, MissingFileIsBadInput) {
  expect_bad_input(run_moesim("model show /nonexistent/x.yaml"), "/nonexistent/x.yaml: cannot open file");
}

TEST(CatalogCli, BrokenConfigReportsEveryProblemOnItsOwnLine) {
  std::string text = read_source_file("configs/models/deepseek-v3.yaml");
  text.replace(text.find("hidden_size: 7168"), 17, "hidden_size: -1");
  text.replace(text.find("num_heads: 128"), 14, "num_head: 128");
  const std::string path = write_temp_file("broken.yaml", text);
  const RunResult r = run_moesim("model show " + path);
  expect_bad_input(r, "hidden_size: found \"-1\"");
  EXPECT_NE(r.err.find("attention.num_head: unknown key; did you mean \"num_heads\""), std::string::npos) << r.err;
  EXPECT_EQ(r.err_lines().size(), 3u) << r.err;  // wrong value, unknown key, missing key
}

TEST(CatalogCli, BadFlagsAreBadInput) {
  expect_bad_input(run_moesim("model show --ops sideways"), "--ops: found \"sideways\"");
  expect_bad_input(run_moesim("model show --ops forward --layer 99"), "--layer: found 99");
  expect_bad_input(run_moesim("frobnicate"), "");
  expect_bad_input(run_moesim("models --colour"), "");
  expect_bad_input(run_moesim(""), "");
}

TEST(CatalogCli, HelpExitsZero) {
  const RunResult r = run_moesim("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("model"), std::string::npos);
}

}  // namespace
}  // namespace moesim::testing
