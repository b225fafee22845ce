// Streaming import of PyTorch-profiler Chrome traces, and one test per bad-input message.
#include "traces/chrome_trace_reader.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "test_files.hpp"

namespace moesim::traces {
namespace {

using testing::data_path;
using testing::read_all;
using testing::write_temp;

struct Collected {
  std::vector<KernelRecord> activities;
  std::vector<AnnotationRecord> annotations;
  ChromeTraceCallbacks callbacks() {
    ChromeTraceCallbacks cb;
    cb.on_activity = [this](KernelRecord&& r) { activities.push_back(std::move(r)); };
    cb.on_annotation = [this](AnnotationRecord&& a) { annotations.push_back(std::move(a)); };
    return cb;
  }
};

TEST(MicrosecondsToNs, ConvertsDecimalsExactly) {
  int64_t ns = 0;
  ASSERT_TRUE(parse_microseconds_as_ns("5866034574117.945", &ns));
  EXPECT_EQ(ns, 5866034574117945LL);
  ASSERT_TRUE(parse_microseconds_as_ns("12.3456", &ns));
  EXPECT_EQ(ns, 12346);
  ASSERT_TRUE(parse_microseconds_as_ns("12.3454", &ns));
  EXPECT_EQ(ns, 12345);
  ASSERT_TRUE(parse_microseconds_as_ns("7", &ns));
  EXPECT_EQ(ns, 7000);
  ASSERT_TRUE(parse_microseconds_as_ns("-1.5", &ns));
  EXPECT_EQ(ns, -1500);
  ASSERT_TRUE(parse_microseconds_as_ns("1.5e3", &ns));
  EXPECT_EQ(ns, 1500000);
  EXPECT_FALSE(parse_microseconds_as_ns("abc", &ns));
  EXPECT_FALSE(parse_microseconds_as_ns("99999999999999999999", &ns));
}

TEST(ChromeTraceReader, ImportsKinetoFixture) {
  Collected c;
  auto info = read_chrome_trace(data_path("kineto_small_step.json"), c.callbacks());
  ASSERT_TRUE(info.ok()) << info.errors()[0].message;
  EXPECT_EQ(info.value().kernels, 9);
  EXPECT_EQ(info.value().memcpys, 1);
  EXPECT_EQ(info.value().memsets, 1);
  EXPECT_EQ(info.value().cpu_ops, 3);
  EXPECT_EQ(info.value().annotations, 4);
  ASSERT_EQ(info.value().devices.size(), 2u);
  EXPECT_EQ(info.value().devices[0].name, "NVIDIA H200");
  EXPECT_EQ(info.value().devices[0].sm_count, 132);
  ASSERT_EQ(c.activities.size(), 11u);
  const KernelRecord& gemm = c.activities[0];
  EXPECT_EQ(gemm.kind, ActivityKind::kKernel);
  EXPECT_EQ(gemm.start_ns, 5866034574117945LL);
  EXPECT_EQ(gemm.duration_ns(), 100000);
  EXPECT_EQ(gemm.device, 0);
  EXPECT_EQ(gemm.stream, 7);
  EXPECT_EQ(gemm.correlation_id, 1);
  EXPECT_EQ(gemm.grid[0], 132);
  EXPECT_EQ(gemm.block[0], 128);
  EXPECT_EQ(gemm.tags.at("external_id"), "1001");
  const KernelRecord& memset = c.activities[2];
  EXPECT_EQ(memset.kind, ActivityKind::kMemset);
  EXPECT_EQ(memset.bytes, 4096);
  EXPECT_EQ(memset.duration_ns(), 400);
  EXPECT_EQ(c.annotations[1].name, "layer_0.attn");
  EXPECT_EQ(c.annotations[1].duration_ns(), 30500);
}

TEST(ChromeTraceReader, ImportsArrayFormatWithRoundedNanoseconds) {
  Collected c;
  auto info = read_chrome_trace(data_path("chrome_array_format.json"), c.callbacks());
  ASSERT_TRUE(info.ok()) << info.errors()[0].message;
  ASSERT_EQ(c.activities.size(), 3u);
  EXPECT_EQ(c.activities[1].start_ns, 1005001);  // 1005.0005 us rounds half up
}

// Each bad input gives exactly one line naming the file and what was expected.
struct BadCase {
  const char* label;
  std::string text;
  const char* expected_fragment;
};

TEST(ChromeTraceReader, RejectsBadInputWithOneClearLine) {
  const std::string full = read_all(data_path("kineto_small_step.json"));
  const std::string ok_kernel =
      R"({"ph":"X","cat":"kernel","name":"k","ts":1,"dur":2,"args":{"stream":7,"device":0}})";
  const std::vector<BadCase> cases = {
      {"truncated", full.substr(0, full.size() / 2), "not valid JSON (truncated or malformed) at byte"},
      {"malformed", R"({"traceEvents": [ {"ph": "X",, } ]})", "not valid JSON"},
      {"no_events", R"({"schemaVersion": 1})", "no 'traceEvents' array"},
      {"events_object", R"({"traceEvents": {}})", "'traceEvents' is an object, expected an array"},
      {"event_not_object", R"({"traceEvents": [ 3 ]})", "traceEvents[0] is a number, expected an event object"},
      {"dur_string", R"({"traceEvents": [{"ph":"X","cat":"kernel","name":"gemm","ts":1,"dur":"2","args":{"stream":7}}]})",
       "traceEvents[0] (name 'gemm'): field 'dur' is \"2\", expected a number of microseconds"},
      {"missing_ts", R"({"traceEvents": [)" + ok_kernel + R"(, {"ph":"X","cat":"kernel","name":"k2","dur":2,"args":{"stream":7}}]})",
       "traceEvents[1] (name 'k2'): field 'ts' is missing"},
      {"missing_stream", R"({"traceEvents": [{"ph":"X","cat":"kernel","name":"k","ts":1,"dur":2,"args":{}}]})",
       "field 'args.stream' is missing, expected an integer"},
      {"stream_float", R"({"traceEvents": [{"ph":"X","cat":"kernel","name":"k","ts":1,"dur":2,"args":{"stream":7.5}}]})",
       "field 'args.stream' is '7.5', expected an integer"},
      {"begin_phase", R"({"traceEvents": [{"ph":"B","cat":"kernel","name":"k","ts":1,"args":{"stream":7}}]})",
       "field 'ph' is \"B\", expected \"X\""},
      {"negative_dur", R"({"traceEvents": [{"ph":"X","cat":"gpu_memcpy","name":"m","ts":1,"dur":-2,"args":{"stream":7}}]})",
       "expected a duration >= 0"},
      {"grid_object", R"({"traceEvents": [{"ph":"X","cat":"kernel","name":"k","ts":1,"dur":2,"args":{"stream":7,"grid":{}}}]})",
       "field 'args.grid' is an object, expected an array of 3 integers"},
      {"dur_overflow", R"({"traceEvents": [{"ph":"X","cat":"kernel","name":"k","ts":8000000000000000,"dur":8000000000000000,"args":{"stream":7}}]})",
       "which overflows the timeline"},
      {"ts_too_big", R"({"traceEvents": [{"ph":"X","cat":"kernel","name":"k","ts":90000000000000000,"dur":1,"args":{"stream":7}}]})",
       "field 'ts' is 90000000000000000, expected a timestamp below 9e15 microseconds"},
      {"annotation_no_dur", R"({"traceEvents": [{"ph":"X","cat":"user_annotation","name":"a","ts":1}]})",
       "field 'dur' is missing"},
  };
  for (const BadCase& c : cases) {
    const std::string path = write_temp(std::string(c.label) + ".json", c.text);
    auto info = read_chrome_trace(path, {});
    ASSERT_FALSE(info.ok()) << c.label;
    ASSERT_EQ(info.errors().size(), 1u) << c.label;
    const std::string& msg = info.errors()[0].message;
    EXPECT_EQ(info.errors()[0].kind, ErrorKind::kBadInput) << c.label;
    EXPECT_NE(msg.find(path), std::string::npos) << c.label << ": " << msg;
    EXPECT_NE(msg.find(c.expected_fragment), std::string::npos) << c.label << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << c.label << ": " << msg;
  }
}

TEST(ChromeTraceReader, RejectsMissingEmptyAndDirectory) {
  auto missing = read_chrome_trace("/nonexistent/trace.json", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.errors()[0].message, "/nonexistent/trace.json: no such file");
  auto empty = read_chrome_trace(write_temp("empty.json", ""), {});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.errors()[0].message.find("empty file"), std::string::npos);
  auto dir = read_chrome_trace(::testing::TempDir(), {});
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.errors()[0].message.find("is a directory"), std::string::npos);
}

TEST(ChromeTraceReader, ReadsOldKinetoCategoryNames) {
  const std::string text =
      R"({"traceEvents": [{"ph":"X","cat":"Kernel","name":"k","ts":1,"dur":2,"args":{"stream":7,"device":1}},)"
      R"({"ph":"X","cat":"Memcpy","name":"Memcpy DtoD","ts":3,"dur":1,"args":{"stream":7,"bytes":64}},)"
      R"({"ph":"X","cat":"Operator","name":"aten::mm","ts":0,"dur":9}]})";
  Collected c;
  auto info = read_chrome_trace(write_temp("old.json", text), c.callbacks());
  ASSERT_TRUE(info.ok()) << info.errors()[0].message;
  EXPECT_EQ(info.value().kernels, 1);
  EXPECT_EQ(info.value().memcpys, 1);
  EXPECT_EQ(info.value().cpu_ops, 1);
  ASSERT_EQ(c.activities.size(), 2u);
  EXPECT_EQ(c.activities[0].device, 1);
  EXPECT_EQ(c.activities[1].kind, ActivityKind::kMemcpy);
  EXPECT_EQ(c.activities[1].bytes, 64);
}

TEST(ChromeTraceReader, IgnoresUnknownCategoriesAndArgs) {
  const std::string text =
      R"({"traceEvents": [{"ph":"i","cat":"something_new","name":"x","ts":"later"},)"
      R"({"ph":"X","cat":"kernel","name":"k","ts":1,"dur":2,"args":{"stream":7,"new field":[1,{"a":"b"}]}}]})";
  Collected c;
  auto info = read_chrome_trace(write_temp("unknown.json", text), c.callbacks());
  ASSERT_TRUE(info.ok()) << info.errors()[0].message;
  EXPECT_EQ(info.value().events, 2);
  EXPECT_EQ(c.activities.size(), 1u);
}

}  // namespace
}  // namespace moesim::traces
