// `moesim simulate train` with tensor parallelism: a tp = 2 layout runs and its trace shows the TP
// collectives; a tp that leaves a node or does not cover the cluster is one line and exit 2.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/cli/run_moesim.hpp"

namespace moesim::testing {
namespace {

// DeepSeek-V2-Lite on `cluster`; `layout` is the parallelism mapping.
std::string scenario(const std::string& cluster, const std::string& layout, int global_sequences) {
  return "kind: train\nname: tp-cli\nmodel: deepseek-v2-lite\ncluster: " + cluster +
         "\nschedule: 1f1b\nparallelism: {" + layout + "}\nbatch: {global_sequences: " +
         std::to_string(global_sequences) + ", sequence_tokens: 4096}\nmemory: {hbm_check: warn}\n";
}

std::string two_nodes() { return std::string(MOESIM_SOURCE_DIR) + "/tests/scenarios/data/two-h800-nodes.yaml"; }

TEST(TrainingTpCli, TpTwoRunsAndTracesItsCollectives) {
  const std::string path = write_temp_file("tp2.yaml", scenario("hgx-h800", "pp: 2, dp: 2, tp: 2, ep: 4", 16));
  const std::string trace = write_temp_file("tp2.trace.json", "");
  const RunResult r = run_moesim("simulate train " + path + " --json --trace-out " + trace);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["resolved_config"]["parallelism"]["tp"], 2);
  EXPECT_GT(j["communication_s"]["tp_collective"].get<double>(), 0.0);
  EXPECT_GT(j["breakdown_s"]["exposed_comm"].get<double>(), 0.0);
  std::ifstream in(trace);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json t = nlohmann::json::parse(text.str(), nullptr, false);
  ASSERT_TRUE(t.is_object());
  int tp_events = 0;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] == "X" && e["tid"] == 2 && e["name"].get<std::string>().rfind("TP all-gather/reduce-scatter", 0) == 0) ++tp_events;
  }
  EXPECT_EQ(tp_events, 2 * 2 * 8);  // 2 ranks × (forward + backward) × 8 micro-batches
}

TEST(TrainingTpCli, TpOutsideANodeIsOneLine) {
  const std::string path = write_temp_file("tp16.yaml", scenario(two_nodes(), "pp: 1, dp: 1, tp: 16, ep: 16", 8));
  const RunResult r = run_moesim("simulate train " + path);
  EXPECT_EQ(r.exit_code, 2);
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("parallelism.tp: 16; expected a divisor of gpus_per_node=8"), std::string::npos) << r.err;
}

TEST(TrainingTpCli, TpTimesPpTimesDpMustBeTheGpuCountInOneLine) {
  const std::string path = write_temp_file("tp-short.yaml", scenario("hgx-h800", "pp: 1, dp: 2, tp: 2, ep: 4", 8));
  const RunResult r = run_moesim("simulate train " + path);
  EXPECT_EQ(r.exit_code, 2);
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("parallelism: pp x dp x tp = 1 x 2 x 2 = 4; expected the cluster's 8 GPUs"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace moesim::testing
