// `moesim place`: the published EPLB vector end to end, the JSON contract, inputs of every format,
// migration, locality, and one test per bad-input message (exit 2, one line).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "tests/cli/run_moesim.hpp"

namespace moesim::testing {
namespace {

const char* kVectorCsv =
    "90,132,40,61,104,165,39,4,73,56,183,86\n"
    "20,107,104,64,19,197,187,157,172,86,16,27\n";
const std::string kVectorShape = " --replicas 16 --groups 4 --nodes 2 --gpus 8";
const std::string kSmall = " --synthetic zipf:1.0 --layers 2 --experts 32 --replicas 40 --groups 4 --nodes 5 --gpus 20";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json place_json(const std::string& args) {
  const RunResult r = run_moesim("place " + args + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  return nlohmann::json::parse(r.out);
}

void expect_bad_input(const std::string& args, const std::string& message) {
  const RunResult r = run_moesim("place " + args);
  EXPECT_EQ(r.exit_code, 2) << args;
  EXPECT_TRUE(r.out.empty()) << r.out;
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("moesim: error: " + message), std::string::npos) << r.err;
}

TEST(PlaceCli, DeepseekReproducesThePublishedVector) {
  const std::string csv = write_temp_file("vector.csv", kVectorCsv);
  const nlohmann::json doc = place_json("--loads " + csv + kVectorShape + " --policy deepseek");
  EXPECT_EQ(doc["physical_to_logical_map"],
            nlohmann::json::parse("[[5,6,5,7,8,4,3,4,10,9,10,2,0,1,11,1],[7,10,6,8,6,11,8,9,2,4,5,1,5,0,3,1]]"));
}

TEST(PlaceCli, JsonHasTheContractKeys) {
  const nlohmann::json doc = place_json(kSmall);
  EXPECT_EQ(doc["schema_version"], 1);
  for (const char* key : {"physical_to_logical_map", "logical_to_physical_map", "logical_count", "stats", "inputs", "input_hash"}) {
    EXPECT_TRUE(doc.contains(key)) << key;
  }
  ASSERT_EQ(doc["stats"]["per_layer"].size(), 2u);
  for (const char* key : {"max_gpu_load", "mean_gpu_load", "imbalance", "lower_bound", "gap"}) {
    EXPECT_TRUE(doc["stats"]["per_layer"][0].contains(key)) << key;
  }
  EXPECT_LE(doc["stats"]["imbalance_mean"].get<double>(), doc["baseline"]["imbalance_mean"].get<double>());
  EXPECT_EQ(doc["inputs"]["policy"], "balanced");
  EXPECT_EQ(doc["input_hash"], place_json(kSmall)["input_hash"]);  // deterministic
  EXPECT_NE(doc["input_hash"], place_json(kSmall + " --seed 1")["input_hash"]);
}

TEST(PlaceCli, EmbeddedDefaultIsDeepSeekV3Decode) {
  const RunResult r = run_moesim("place");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("58 layers x 256 experts -> 288 slots on 144 GPUs in 18 nodes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("deepseek (reference)"), std::string::npos);
}

TEST(PlaceCli, ReadsSglangJsonAndRoutingTracesAndScores) {
  const std::string sglang = write_temp_file("counts.json", R"({"logical_count": [[5, 1, 1, 1], [1, 1, 1, 9]]})");
  const std::string trace = write_temp_file(
      "trace.json", R"({"moesim_routing_trace": 1, "num_experts": 4, "top_k": 2,
                        "layers": [[[0, 1], [0, 2], [0, 3]], [[3, 2], [3, 1], [3, 0]]]})");
  const std::string shape = " --replicas 8 --groups 1 --nodes 2 --gpus 4";
  const nlohmann::json doc = place_json("--loads " + sglang + " --score " + trace + shape);
  EXPECT_GE(doc["logical_count"][0][0].get<int>(), 2);  // expert 0 carries 5 of 8 tokens: it is replicated
  ASSERT_EQ(doc["scores"].size(), 1u);
  EXPECT_EQ(doc["scores"][0]["file"], trace);
  const nlohmann::json traced = place_json("--loads " + trace + shape + " --policy locality");
  EXPECT_TRUE(traced.contains("traffic"));
  EXPECT_LE(traced["traffic"]["cross_node_bytes_per_token_after"].get<double>(),
            traced["traffic"]["cross_node_bytes_per_token_before"].get<double>());
}

TEST(PlaceCli, MigrationBudgetLimitsMovesAndReportsBytes) {
  const std::string previous = write_temp_file("previous.json", run_moesim("place" + kSmall + " --seed 3 --json").out);
  const nlohmann::json doc = place_json(kSmall + " --previous " + previous + " --max-moves 2 --expert-bytes 1000");
  for (const auto& moves : doc["migration"]["moves_per_layer"]) EXPECT_LE(moves.get<int>(), 2);
  EXPECT_EQ(doc["migration"]["bytes_moved"].get<double>(), 1000.0 * doc["migration"]["total_moves"].get<double>());
  EXPECT_GT(doc["migration"]["total_moves"].get<int>(), 0);
}

TEST(PlaceCli, WritesTheOutFileAndASummaryTable) {
  const std::string out = write_temp_file("placement.json", "");
  const RunResult r = run_moesim("place" + kSmall + " --out " + out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("LAYER"), std::string::npos);
  EXPECT_NE(r.out.find("wrote " + out), std::string::npos);
  EXPECT_TRUE(nlohmann::json::parse(read_file(out)).contains("physical_to_logical_map"));
}

TEST(PlaceCli, BadInputsGetOneClearLine) {
  const std::string ragged = write_temp_file("ragged.csv", "1,2,3\n4,5\n");
  const std::string negative = write_temp_file("negative.csv", "1,-2,3\n");
  const std::string text = write_temp_file("text.csv", "1,x,3\n");
  const std::string malformed = write_temp_file("malformed.json", "{\"logical_count\": [[1, 2]");
  const std::string csv = write_temp_file("ok.csv", kVectorCsv);
  expect_bad_input("--loads " + ragged, ragged + ":2: row has 2 values, expected 3");
  expect_bad_input("--loads " + negative, negative + ": layer 0, expert 1: load -2 is invalid");
  expect_bad_input("--loads " + text, text + ":1: column 2: 'x' is not a number");
  expect_bad_input("--loads " + malformed, malformed + ": malformed JSON");
  expect_bad_input("--loads /nonexistent/loads.csv", "/nonexistent/loads.csv: cannot open file");
  expect_bad_input("--loads " + csv + " --replicas 18 --groups 4 --nodes 2 --gpus 8",
                   "--replicas=18 is not a multiple of --gpus=8");
  expect_bad_input("--loads " + csv + " --replicas 16 --groups 5 --nodes 1 --gpus 8", "--groups=5 does not divide the 12 experts");
  expect_bad_input("--loads " + csv + " --replicas 18 --groups 4 --nodes 4 --gpus 6", "--gpus=6 is not a multiple of --nodes=4");
  expect_bad_input("--loads " + csv + " --replicas 8 --groups 4 --nodes 2 --gpus 8", "--replicas=8 is less than the 12 experts");
  expect_bad_input("--loads " + csv + kVectorShape + " --policy fastest", "--policy=fastest is unknown");
  expect_bad_input("--synthetic zipf:abc", "--synthetic=zipf:abc is invalid");
  expect_bad_input("--loads " + csv + " --synthetic zipf:1", "--loads and --synthetic are exclusive");
  expect_bad_input("--max-moves 3", "--max-moves needs --previous");
  expect_bad_input("--layers 0", "--layers and --experts must be positive integers");
  expect_bad_input("--token-bytes 0", "--token-bytes=0 is invalid (expected > 0)");
  expect_bad_input("--load-slack -1", "--load-slack=-1.000 is invalid (expected >= 0)");
  expect_bad_input("--expert-bytes -5", "--expert-bytes=-5 is invalid (expected >= 0)");
  const RunResult unknown = run_moesim("place --layers 1 --experts 16 --replicas 16 --groups 1 --nodes 1 --gpus 1 --model nosuchmodel");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("nosuchmodel"), std::string::npos) << unknown.err;
  expect_bad_input("--loads " + csv + kVectorShape + " --previous /nonexistent/p.json", "/nonexistent/p.json: cannot open file");
  const std::string wrong = write_temp_file("wrong.json", R"({"physical_to_logical_map": [[0, 1]]})");
  expect_bad_input("--loads " + csv + kVectorShape + " --previous " + wrong, wrong + ": physical_to_logical_map has 1 layers, expected 2");
  const std::string small = write_temp_file("small.csv", "1,2\n");
  expect_bad_input("--loads " + csv + kVectorShape + " --score " + small, small + ": 1 layers × 2 experts, expected 2 × 12");
  expect_bad_input("--loads " + csv + " --loads " + small + kVectorShape, small + ": 1 layers × 2 experts, expected 2 × 12");
  expect_bad_input("--loads " + csv + kVectorShape + " --policy locality", "--policy=locality needs a routing trace");
  const std::string trace = write_temp_file("bad_trace.json", R"({"moesim_routing_trace": 1, "num_experts": 12, "top_k": 2,
                                                                   "layers": [[[0, 12]], [[0, 1]]]})");
  expect_bad_input("--loads " + csv + kVectorShape + " --trace " + trace,
                   trace + ": layers[0][0][1] = 12 is invalid (expected an expert id in [0, 12))");
}

}  // namespace
}  // namespace moesim::testing
