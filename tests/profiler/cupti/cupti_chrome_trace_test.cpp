// The Chrome trace the profiler writes: valid JSON, Kineto's layout, and a lossless round trip
// (through our reader and through traces/'s Kineto importer); bad input is one clear error.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "profiler/cupti/chrome_trace.hpp"
#include "traces/chrome_trace_reader.hpp"

namespace moesim::profiler::cupti {
namespace {

using traces::ActivityKind;
using traces::KernelRecord;

traces::KernelRecordSet sample_set() {
  traces::KernelRecordSet set;
  set.source = "test";
  set.provenance = {{"gpu", "NVIDIA H200"}, {"cuda", "13.0"}};
  KernelRecord k;
  k.name = "void gemm<128>(float const*)";
  k.start_ns = 1732000000123456789;  // a real CUPTI timestamp magnitude: ns since the epoch
  k.end_ns = k.start_ns + 12345;
  k.stream = 7;
  k.correlation_id = 42;
  k.grid[0] = 132, k.grid[1] = 1, k.grid[2] = 1;
  k.block[0] = 384, k.block[1] = 1, k.block[2] = 1;
  k.tags = {{"op", "q_b_proj"}, {"m", "4096"}};
  KernelRecord m;
  m.kind = ActivityKind::kMemcpy;
  m.name = "Memcpy DtoD";
  m.start_ns = k.end_ns + 1000;
  m.end_ns = m.start_ns + 777;
  m.stream = 7;
  m.bytes = 1 << 20;
  KernelRecord s;
  s.kind = ActivityKind::kMemset;
  s.name = "Memset";
  s.start_ns = m.end_ns + 5;
  s.end_ns = s.start_ns + 3;
  s.device = 1;
  s.stream = 2;
  s.bytes = 64;
  set.records = {k, m, s};
  return set;
}

void expect_same(const KernelRecord& a, const KernelRecord& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.start_ns, b.start_ns);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.stream, b.stream);
  EXPECT_EQ(a.bytes, b.bytes);
}

TEST(ChromeTrace, IsKinetoShapedJson) {
  const nlohmann::json doc = nlohmann::json::parse(to_chrome_trace(sample_set()));
  ASSERT_TRUE(doc["traceEvents"].is_array());
  ASSERT_EQ(doc["traceEvents"].size(), 3u);
  const auto& e = doc["traceEvents"][0];
  EXPECT_EQ(e["ph"], "X");
  EXPECT_EQ(e["cat"], "kernel");
  EXPECT_EQ(e["tid"], 7);
  EXPECT_DOUBLE_EQ(e["dur"].get<double>(), 12.345);
  EXPECT_EQ(e["args"]["start_ns"], 1732000000123456789);
  EXPECT_EQ(e["args"]["tag.op"], "q_b_proj");
  EXPECT_EQ(doc["traceEvents"][1]["cat"], "gpu_memcpy");
  EXPECT_EQ(doc["traceEvents"][2]["cat"], "gpu_memset");
  EXPECT_EQ(doc["moesim"]["provenance"]["gpu"], "NVIDIA H200");
  EXPECT_EQ(doc["moesim"]["schema_version"], kChromeTraceSchemaVersion);
}

TEST(ChromeTrace, RoundTripsEveryField) {
  const traces::KernelRecordSet in = sample_set();
  auto out = parse_chrome_trace(to_chrome_trace(in), "t.json");
  ASSERT_TRUE(out.ok()) << out.errors()[0].message;
  ASSERT_EQ(out.value().records.size(), in.records.size());
  for (size_t i = 0; i < in.records.size(); ++i) expect_same(in.records[i], out.value().records[i]);
  const KernelRecord& k = out.value().records[0];
  EXPECT_EQ(k.correlation_id, 42);
  EXPECT_EQ(k.grid[0], 132);
  EXPECT_EQ(k.block[0], 384);
  EXPECT_EQ(k.tags, in.records[0].tags);
  EXPECT_EQ(out.value().provenance.at("cuda"), "13.0");
  // Writing again gives the same text: nothing is lost or reordered.
  EXPECT_EQ(to_chrome_trace(out.value()), to_chrome_trace([&] {
              traces::KernelRecordSet copy = in;
              copy.source = "t.json";
              return copy;
            }()));
}

TEST(ChromeTrace, TracesImporterReadsWhatWeWrite) {
  const traces::KernelRecordSet in = sample_set();
  std::istringstream stream(to_chrome_trace(in));
  std::vector<KernelRecord> seen;
  traces::ChromeTraceCallbacks callbacks;
  callbacks.on_activity = [&](KernelRecord&& r) { seen.push_back(std::move(r)); };
  auto info = traces::read_chrome_trace(stream, "profile.json", callbacks);
  ASSERT_TRUE(info.ok()) << info.errors()[0].message;
  EXPECT_EQ(info.value().kernels, 1);
  EXPECT_EQ(info.value().memcpys, 1);
  EXPECT_EQ(info.value().memsets, 1);
  ASSERT_EQ(seen.size(), 3u);
  for (size_t i = 0; i < seen.size(); ++i) expect_same(in.records[i], seen[i]);
}

TEST(ChromeTrace, BadInputIsOneErrorNamingTheFile) {
  auto not_json = parse_chrome_trace("{nope", "bad.json");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.errors()[0].kind, ErrorKind::kBadInput);
  EXPECT_NE(not_json.errors()[0].message.find("bad.json: not a JSON object"), std::string::npos);

  auto no_events = parse_chrome_trace(R"({"foo": 1})", "x.json");
  ASSERT_FALSE(no_events.ok());
  EXPECT_NE(no_events.errors()[0].message.find("x.json: key traceEvents"), std::string::npos);

  auto bad_ts = parse_chrome_trace(R"({"traceEvents":[{"ph":"X","cat":"kernel","ts":"soon","dur":1}]})", "y.json");
  ASSERT_FALSE(bad_ts.ok());
  EXPECT_NE(bad_ts.errors()[0].message.find("y.json: traceEvents[0]: needs numeric"), std::string::npos);

  auto bad_grid = parse_chrome_trace(
      R"({"traceEvents":[{"ph":"X","cat":"kernel","ts":1,"dur":1,"args":{"grid":["a","b","c"]}}]})", "z.json");
  ASSERT_FALSE(bad_grid.ok());
  EXPECT_NE(bad_grid.errors()[0].message.find("z.json: traceEvents[0]"), std::string::npos);
}

TEST(ChromeTrace, TimestampsAreExactMicrosecondDecimals) {
  const std::string text = to_chrome_trace(sample_set());
  EXPECT_NE(text.find("\"ts\":1732000000123456.789,\"dur\":12.345"), std::string::npos) << text.substr(0, 400);
}

TEST(ChromeTrace, SkipsCpuEvents) {
  auto out = parse_chrome_trace(
      R"({"traceEvents":[{"ph":"X","cat":"cpu_op","name":"aten::mm","ts":1,"dur":2},
                         {"ph":"X","cat":"kernel","name":"k","ts":3,"dur":4,"args":{"stream":7}}]})",
      "mixed.json");
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out.value().records.size(), 1u);
  EXPECT_EQ(out.value().records[0].start_ns, 3000);
  EXPECT_EQ(out.value().records[0].stream, 7);
}

}  // namespace
}  // namespace moesim::profiler::cupti
