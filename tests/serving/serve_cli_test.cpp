// `moesim simulate serve` end to end: exit codes, one-line errors and the JSON contract.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "serving_test_util.hpp"
#include "tests/cli/run_moesim.hpp"

namespace moesim::sim::serving {
namespace {

#ifdef MOESIM_BIN
using ::moesim::testing::run_moesim;
using ::moesim::testing::RunResult;
using ::moesim::testing::write_temp_file;

bool have_moesim() { return std::ifstream(MOESIM_BIN).good(); }

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

std::string light() { return testing::light_yaml(); }

TEST(ServeCli, JsonHasTheContractKeys) {
  if (!have_moesim()) GTEST_SKIP() << MOESIM_BIN << " not built";
  const std::string trace = ::testing::TempDir() + std::to_string(getpid()) + "_serve_cli_trace.json";
  RunResult r = run_moesim("simulate serve " + write_temp_file("light.yaml", light()) + " --json --requests 800 --trace-out " + trace);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  for (const char* k : {"p50", "p90", "p99"}) {
    EXPECT_TRUE(j["ttft_s"][k].is_number()) << k;
    EXPECT_TRUE(j["tpot_s"][k].is_number()) << k;
    EXPECT_TRUE(j["e2e_latency_s"][k].is_number()) << k;
  }
  for (const char* k : {"prefill_input_tokens_per_s_per_node", "decode_output_tokens_per_s_per_node", "goodput_rps"})
    EXPECT_GT(j[k].get<double>(), 0) << k;
  EXPECT_GT(j["cost_per_mtoken_usd"]["input"].get<double>(), 0);
  EXPECT_GT(j["cost_per_mtoken_usd"]["output"].get<double>(), 0);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["seed"], 1);
  EXPECT_EQ(j["config_hash"].get<std::string>().size(), 16u);
  EXPECT_EQ(j["resolved_config"]["workload"]["requests"], 800);
  EXPECT_EQ(j["requests"]["completed"], 800);
  std::stringstream trace_text;
  trace_text << std::ifstream(trace).rdbuf();
  EXPECT_NE(trace_text.str().find("traceEvents"), std::string::npos);
}

TEST(ServeCli, MissingScenarioIsExit2OneLine) {
  if (!have_moesim()) GTEST_SKIP() << MOESIM_BIN << " not built";
  RunResult r = run_moesim("simulate serve /nonexistent/scenario.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/scenario.yaml"), std::string::npos) << r.err;
}

TEST(ServeCli, EpNotDividingIsExit2OneLine) {
  if (!have_moesim()) GTEST_SKIP() << MOESIM_BIN << " not built";
  const std::string y = testing::edit(testing::t2_yaml(), "redundant_experts: 32  # 2 routed", "redundant_experts: 31  # 2 routed");
  RunResult r = run_moesim("simulate serve " + write_temp_file("ep.yaml", y));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("decode.ep: ep=144 does not divide 287 physical experts"), std::string::npos) << r.err;
}

TEST(ServeCli, ModelNotFittingIsExit3NamingTheLimit) {
  if (!have_moesim()) GTEST_SKIP() << MOESIM_BIN << " not built";
  std::string y = testing::edit(testing::t2_yaml(), "cluster: deepseek-h800-decode-unit", "cluster: hgx-h800");
  y = testing::edit(testing::edit(y, "  ep: 144", "  ep: 8"), "redundant_experts: 32  # 2 routed", "redundant_experts: 0  #");
  RunResult r = run_moesim("simulate serve " + write_temp_file("fit.yaml", y));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("model does not fit"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("limit: HBM capacity"), std::string::npos) << r.err;
}

TEST(ServeCli, MalformedTraceIsExit2OneLine) {
  if (!have_moesim()) GTEST_SKIP() << MOESIM_BIN << " not built";
  const std::string trace = write_temp_file("bad.csv", "arrival_s,input_tokens,output_tokens\n-1,5,5\n");
  const std::string y = testing::edit(testing::t2_yaml(), "arrival: poisson", "arrival: trace\n  trace: " + trace);
  RunResult r = run_moesim("simulate serve " + write_temp_file("trace.yaml", y));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(trace + ":2: arrival_s -1"), std::string::npos) << r.err;
}

TEST(ServeCli, NoProgressBarWhenStderrIsNotATerminal) {
  if (!have_moesim()) GTEST_SKIP() << MOESIM_BIN << " not built";
  RunResult r = run_moesim("simulate serve " + write_temp_file("light2.yaml", light()) + " --requests 300");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find("decode output tokens/s per node"), std::string::npos);
}
#else
TEST(ServeCli, NeedsTheMoesimBinary) { GTEST_SKIP() << "moesim target not built in this configuration"; }
#endif

}  // namespace
}  // namespace moesim::sim::serving
