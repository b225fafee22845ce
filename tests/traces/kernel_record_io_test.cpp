// Round trip and strictness of moesim's kernel-record file.
#include "traces/kernel_record_io.hpp"

#include <gtest/gtest.h>

#include "test_files.hpp"
#include "traces/chrome_trace_reader.hpp"

namespace moesim::traces {
namespace {

using testing::data_path;
using testing::write_temp;

bool same(const KernelRecord& a, const KernelRecord& b) {
  return a.kind == b.kind && a.name == b.name && a.start_ns == b.start_ns && a.end_ns == b.end_ns &&
         a.device == b.device && a.stream == b.stream && a.correlation_id == b.correlation_id &&
         std::equal(a.grid, a.grid + 3, b.grid) && std::equal(a.block, a.block + 3, b.block) &&
         a.bytes == b.bytes && a.tags == b.tags;
}

TEST(KernelRecordIo, RoundTripsImportedTrace) {
  KernelRecordSet set;
  set.source = "kineto_small_step.json";
  set.provenance = {{"gpu_name", "NVIDIA H200"}, {"sm_count", "132"}};
  ChromeTraceCallbacks cb;
  cb.on_activity = [&](KernelRecord&& r) { set.records.push_back(std::move(r)); };
  ASSERT_TRUE(read_chrome_trace(data_path("kineto_small_step.json"), cb).ok());
  set.records[0].tags["op"] = "gemm \"quoted\" \\ name";

  const std::string text = kernel_records_to_json(set);
  auto back = parse_kernel_records(text, "mem.json");
  ASSERT_TRUE(back.ok()) << back.errors()[0].message;
  EXPECT_EQ(back.value().source, set.source);
  EXPECT_EQ(back.value().provenance, set.provenance);
  ASSERT_EQ(back.value().records.size(), set.records.size());
  for (size_t i = 0; i < set.records.size(); ++i) EXPECT_TRUE(same(set.records[i], back.value().records[i])) << i;
  EXPECT_EQ(kernel_records_to_json(back.value()), text);  // write → read → write is stable
}

TEST(KernelRecordIo, ReadsSyntheticFixture) {
  auto set = read_kernel_records(data_path("records_synthetic_h200.json"));
  ASSERT_TRUE(set.ok()) << set.errors()[0].message;
  EXPECT_EQ(set.value().provenance.at("gpu"), "h200");
  EXPECT_EQ(set.value().records.size(), (12u + 4u) * 5u);
}

TEST(KernelRecordIo, RejectsBadFilesWithClearMessages) {
  const std::string head = R"({"format":"moesim.kernel_records","schema_version":1,"records":[)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"format":"other","schema_version":1,"records":[]})", "format: found \"other\", expected \"moesim.kernel_records\""},
      {R"({"format":"moesim.kernel_records","schema_version":9,"records":[]})", "schema_version: found 9"},
      {head + R"({"name":"k","start_ns":5,"end_ns":1}]})", "records[0].end_ns: found 1, expected >= start_ns 5"},
      {head + R"({"name":"k","start_ns":0,"end_ns":1,"strem":7}]})", "records[0].strem: unknown key (did you mean 'stream'?)"},
      {head + R"({"name":"k","start_ns":0,"end_ns":1,"grid":[1,2]}]})", "records[0].grid: found 2 values, expected 3"},
      {head + R"({"start_ns":0,"end_ns":1}]})", "records[0].name: missing, expected a string"},
      {head + R"({"name":"k","start_ns":0,"end_ns":1,"kind":"graph"}]})", "expected kernel, memcpy or memset"},
      {head + R"({"name":"k","start_ns":0,"end_ns":1,"tags":{"m":4}}]})", "records[0].tags.m: found 4, expected a string"},
      {head, "not valid JSON"},
  };
  for (const auto& [text, fragment] : cases) {
    auto r = parse_kernel_records(text, "bad.json");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.errors()[0].message.find("bad.json: " + std::string()), std::string::npos);
    EXPECT_NE(r.errors()[0].message.find(fragment), std::string::npos) << r.errors()[0].message;
  }
  auto missing = read_kernel_records("/nonexistent/records.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.errors()[0].message.find("/nonexistent/records.json: no such file"), std::string::npos);
}

}  // namespace
}  // namespace moesim::traces
