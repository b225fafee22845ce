#include "sim/serving/request_trace.hpp"

#include <gtest/gtest.h>

namespace moesim::sim::serving {
namespace {

std::string first_error(const Result<std::vector<RequestRecord>>& r) {
  return r.ok() ? "" : r.errors().front().message;
}

TEST(RequestTrace, CsvRowsSortedByArrival) {
  auto r = parse_request_trace("arrival_s,input_tokens,output_tokens,cached_tokens\n2.5,100,10,50\n1.0,30,2,0\n", "t.csv");
  ASSERT_TRUE(r.ok()) << first_error(r);
  ASSERT_EQ(r.value().size(), 2u);
  EXPECT_DOUBLE_EQ(r.value()[0].arrival_s, 1.0);
  EXPECT_EQ(r.value()[1].cached_tokens, 50);
}

TEST(RequestTrace, CsvWithoutCachedColumn) {
  auto r = parse_request_trace("arrival_s,input_tokens,output_tokens\n0,5,1\n", "t.csv");
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(r.value()[0].cached_tokens, 0);
}

TEST(RequestTrace, JsonlRows) {
  auto r = parse_request_trace("{\"arrival_s\": 0.5, \"input_tokens\": 8, \"output_tokens\": 3}\n\n"
                               "{\"arrival_s\": 0.1, \"input_tokens\": 9, \"output_tokens\": 4, \"cached_tokens\": 2}\n",
                               "t.jsonl");
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(r.value()[0].input_tokens, 9);
}

TEST(RequestTrace, RoundTripCsv) {
  std::vector<RequestRecord> rows = {{0.125, 100, 7, 3}, {1.0 / 3, 42, 1, 0}};
  auto r = parse_request_trace(write_request_trace_csv(rows), "rt.csv");
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(write_request_trace_csv(r.value()), write_request_trace_csv(rows));
  EXPECT_DOUBLE_EQ(r.value()[1].arrival_s, 1.0 / 3);
}

TEST(RequestTrace, BadHeaderNamesColumn) {
  auto r = parse_request_trace("time,input_tokens,output_tokens\n0,1,1\n", "bad.csv");
  EXPECT_EQ(first_error(r), "bad.csv:1: header column 1 is 'time', expected 'arrival_s'");
}

TEST(RequestTrace, NonNumberNamesFieldAndLine) {
  auto r = parse_request_trace("arrival_s,input_tokens,output_tokens\n0,1,1\n0.5,abc,1\n", "bad.csv");
  EXPECT_EQ(first_error(r), "bad.csv:3: input_tokens is 'abc', expected a number");
}

TEST(RequestTrace, WrongFieldCount) {
  auto r = parse_request_trace("arrival_s,input_tokens,output_tokens\n0,1\n", "bad.csv");
  EXPECT_EQ(first_error(r), "bad.csv:2: row has 2 fields, expected 3");
}

TEST(RequestTrace, CachedNotBelowInput) {
  auto r = parse_request_trace("arrival_s,input_tokens,output_tokens,cached_tokens\n0,10,1,10\n", "bad.csv");
  EXPECT_EQ(first_error(r), "bad.csv:2: cached_tokens 10, expected in [0, input_tokens=10)");
}

TEST(RequestTrace, ZeroOutputRejected) {
  auto r = parse_request_trace("arrival_s,input_tokens,output_tokens\n0,10,0\n", "bad.csv");
  EXPECT_EQ(first_error(r), "bad.csv:2: output_tokens 0, expected >= 1");
}

TEST(RequestTrace, JsonlMissingKey) {
  auto r = parse_request_trace("{\"arrival_s\": 0, \"input_tokens\": 8}\n", "bad.jsonl");
  EXPECT_EQ(first_error(r), "bad.jsonl:1: missing key 'output_tokens'");
}

TEST(RequestTrace, JsonlNotAnObject) {
  auto r = parse_request_trace("[1,2,3]\n", "bad.jsonl");
  EXPECT_EQ(first_error(r), "bad.jsonl:1: not a JSON object");
}

TEST(RequestTrace, EmptyTrace) {
  EXPECT_EQ(first_error(parse_request_trace("arrival_s,input_tokens,output_tokens\n", "e.csv")),
            "e.csv: the trace has no requests, expected at least one row");
  EXPECT_EQ(first_error(parse_request_trace("", "e.csv")),
            "e.csv: empty trace, expected a header arrival_s,input_tokens,output_tokens");
}

TEST(RequestTrace, MissingFile) {
  EXPECT_EQ(first_error(read_request_trace("/nonexistent/trace.csv")), "/nonexistent/trace.csv: cannot open the request trace");
}

}  // namespace
}  // namespace moesim::sim::serving
