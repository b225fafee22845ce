// `--calibration FILE` on the commands that time ops (cli/cost_model_factory.hpp): a calibration
// table changes the simulated step and the `cost_model` field; a missing or malformed file is one
// line and exit 2 on every command that takes it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

#include "tests/cli/run_moesim.hpp"

namespace moesim::testing {
namespace {

// DeepSeek-V2-Lite on one HGX H800 node, BF16 GEMMs (the synthetic table has bf16 entries).
constexpr const char* kScenario = R"(kind: train
name: tiny-calibration
model: deepseek-v2-lite
cluster: hgx-h800
schedule: 1f1b
parallelism: {pp: 2, dp: 4, ep: 4, tp: 1}
batch: {global_sequences: 32, sequence_tokens: 4096, micro_batch_sequences: 1}
precision: {gemm: bf16, dispatch: bf16, combine: bf16}
memory: {recompute: selective, hbm_check: warn}
)";

std::string calibration_file() { return std::string(MOESIM_SOURCE_DIR) + "/tests/data/calibration_synthetic_h200.json"; }

nlohmann::json simulate(const std::string& extra) {
  const std::string scenario = write_temp_file("tiny_calibration.yaml", kScenario);
  const RunResult r = run_moesim("simulate train " + scenario + " --json" + extra);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

TEST(CostModelCli, CalibrationChangesTheStepAndSaysSo) {
  const nlohmann::json roofline = simulate("");
  const nlohmann::json calibrated = simulate(" --calibration " + calibration_file());
  ASSERT_TRUE(roofline.is_object() && calibrated.is_object());
  EXPECT_EQ(roofline["cost_model"], "roofline (uncalibrated default efficiencies)");
  const std::string text = calibrated["cost_model"].get<std::string>();
  EXPECT_EQ(text.rfind("calibrated (1 table: ", 0), 0u) << text;
  EXPECT_NE(text.find("calibration_synthetic_h200.json (h200)"), std::string::npos) << text;
  const double a = roofline["step_time_s"].get<double>(), b = calibrated["step_time_s"].get<double>();
  EXPECT_GT(a, 0);
  EXPECT_GT(std::abs(b - a) / a, 1e-3) << a << " vs " << b;
}

TEST(CostModelCli, BadCalibrationIsOneLineExitTwoEverywhere) {
  const std::string malformed = write_temp_file("malformed_calibration.json", "{\"format\": \"moesim.calibration\",");
  const std::string scenario = write_temp_file("tiny_calibration.yaml", kScenario);
  for (const std::string& file : {std::string("/nonexistent/calibration.json"), malformed}) {
    for (const std::string& command : {"simulate train " + scenario, std::string("simulate serve"), std::string("validate"),
                                       std::string("plan --no-refine")}) {
      const RunResult r = run_moesim(command + " --calibration " + file);
      EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
      ASSERT_EQ(r.err_lines().size(), 1u) << command << ": " << r.err;
      EXPECT_NE(r.err.find(file), std::string::npos) << command << ": " << r.err;
      EXPECT_TRUE(r.out.empty()) << command;
    }
  }
}

}  // namespace
}  // namespace moesim::testing
