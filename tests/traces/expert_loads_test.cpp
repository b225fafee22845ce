// Load readers: CSV, SGLang JSON, routing traces, the Zipf generator, and one test per error message.
#include <gtest/gtest.h>

#include <algorithm>

#include "traces/expert_loads.hpp"

namespace moesim::traces {
namespace {

std::string first_error(const Result<LoadMatrix>& r) { return r.ok() ? "" : r.errors()[0].message; }

TEST(ExpertLoads, ParsesCsvWithHeaderCommentsAndBlankLines) {
  const auto r = parse_loads_csv("e0,e1,e2\n# layer 0\n1,2,3\n\n4, 5 ,6\n", "x.csv");
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(r.value(), (LoadMatrix{{1, 2, 3}, {4, 5, 6}}));
}

TEST(ExpertLoads, CsvErrorsNameFileLineAndValue) {
  EXPECT_EQ(first_error(parse_loads_csv("1,2,3\n4,5\n", "x.csv")),
            "x.csv:2: row has 2 values, expected 3 (ragged rows; every layer needs one load per expert)");
  EXPECT_EQ(first_error(parse_loads_csv("1,abc\n", "x.csv")),
            "x.csv:1: column 2: 'abc' is not a number (expected a non-negative expert load)");
  EXPECT_EQ(first_error(parse_loads_csv("1,-2\n", "x.csv")),
            "x.csv: layer 0, expert 1: load -2 is invalid (expected a finite number >= 0)");
  EXPECT_EQ(first_error(parse_loads_csv("# nothing\n", "x.csv")), "x.csv: no expert loads (expected layers × experts numbers)");
  EXPECT_NE(first_error(parse_loads_csv("1,nan\n", "x.csv")).find("load nan is invalid"), std::string::npos);
}

TEST(ExpertLoads, ParsesSglangLogicalCount) {
  const auto r = parse_sglang_loads_json(R"({"logical_count": [[1, 2], [3, 4.5]]})", "d.json");
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(r.value(), (LoadMatrix{{1, 2}, {3, 4.5}}));
}

TEST(ExpertLoads, SglangErrors) {
  EXPECT_EQ(first_error(parse_sglang_loads_json("{oops", "d.json")),
            "d.json: malformed JSON (expected {\"logical_count\": [[...]]})");
  EXPECT_EQ(first_error(parse_sglang_loads_json(R"({"counts": []})", "d.json")),
            "d.json: missing key \"logical_count\" (expected {\"logical_count\": [[...]]})");
  EXPECT_EQ(first_error(parse_sglang_loads_json(R"({"logical_count": [[1, "a"]]})", "d.json")),
            "d.json: logical_count[0][1] = \"a\" is not a number (expected a non-negative expert load)");
  EXPECT_NE(first_error(parse_sglang_loads_json(R"({"logical_count": [[1, 2], [3]]})", "d.json")).find("ragged rows"),
            std::string::npos);
}

const char* kTrace = R"({"moesim_routing_trace": 1, "num_experts": 4, "top_k": 2,
                         "layers": [[[0, 1], [1, 2], [1, 3]], [[3, 2], [0, 2], [2, 1]]]})";

TEST(ExpertLoads, RoutingTraceReducesToLoads) {
  const auto t = parse_routing_trace_json(kTrace, "t.json");
  ASSERT_TRUE(t.ok()) << t.errors()[0].message;
  EXPECT_EQ(t.value().num_tokens, 3);
  EXPECT_EQ(loads_from_trace(t.value()), (LoadMatrix{{1, 3, 1, 1}, {1, 1, 3, 1}}));
  EXPECT_TRUE(is_routing_trace_text(kTrace));
  EXPECT_EQ(parse_loads_text(kTrace, "t.json").value(), loads_from_trace(t.value()));
}

TEST(ExpertLoads, RoutingTraceErrors) {
  auto err = [](const std::string& text) {
    const auto t = parse_routing_trace_json(text, "t.json");
    return t.ok() ? std::string() : t.errors()[0].message;
  };
  const std::string head = R"({"moesim_routing_trace": 1, "num_experts": 4, "top_k": 2, "layers": )";
  EXPECT_EQ(err(head + "[[[0, 9]]]}"), "t.json: layers[0][0][1] = 9 is invalid (expected an expert id in [0, 4))");
  EXPECT_EQ(err(head + "[[[0, 0]]]}"), "t.json: layers[0][0]: expert 0 chosen twice (expected distinct ids)");
  EXPECT_EQ(err(head + "[[[0]]]}"), "t.json: layers[0][0] = [0] is invalid (expected a list of top_k = 2 expert ids)");
  EXPECT_EQ(err(head + "[[[0, 1]], [[0, 1], [1, 2]]]}"),
            "t.json: layers[1] has 2 tokens, expected 1 (every layer lists the same tokens)");
  EXPECT_EQ(err(R"({"moesim_routing_trace": 1, "top_k": 2, "layers": []})").rfind("t.json: missing key \"num_experts\"", 0), 0u);
  EXPECT_EQ(err(R"({"moesim_routing_trace": 2})"), "t.json: missing or unsupported \"moesim_routing_trace\" version (expected 1)");
}

TEST(ExpertLoads, MissingFileIsOneClearError) {
  const auto r = read_loads_file("/nonexistent/loads.csv");
  EXPECT_EQ(first_error(r), "/nonexistent/loads.csv: cannot open file (missing or unreadable)");
}

TEST(ExpertLoads, ZipfIsSkewedDeterministicAndSeeded) {
  const LoadMatrix a = zipf_loads({2, 64, 1.0, 10000, 3});
  EXPECT_EQ(a, zipf_loads({2, 64, 1.0, 10000, 3}));
  double total = 0, top = 0;
  for (double v : a[0]) total += v, top = std::max(top, v);
  EXPECT_NEAR(total, 10000, 500);           // jitter is ±10 % per expert, so the sum stays close
  EXPECT_GT(top / (total / 64), 10.0);      // Zipf(1) over 64 experts: the top one carries ~21x the mean
  EXPECT_NE(a[0], a[1]);                    // every layer draws its own permutation
}

TEST(ExpertLoads, SyntheticTraceHasDistinctTopK) {
  const RoutingTrace t = synthetic_routing_trace({2, 32, 4, 100, 4, 0.75, 9});
  ASSERT_EQ(t.choices.size(), 2u);
  ASSERT_EQ(t.choices[0].size(), 400u);
  for (size_t k = 0; k < 100; ++k) {
    std::vector<int> ids(t.choices[0].begin() + 4 * k, t.choices[0].begin() + 4 * k + 4);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
  }
}

}  // namespace
}  // namespace moesim::traces
