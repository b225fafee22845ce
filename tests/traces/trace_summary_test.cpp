// `trace summarize` numbers against hand-computed values for the fixtures in tests/data/.
#include "traces/trace_summary.hpp"

#include <gtest/gtest.h>

#include <map>

#include "test_files.hpp"

namespace moesim::traces {
namespace {

using testing::data_path;

TEST(Intervals, UnionAndIntersection) {
  std::vector<Interval> a = {{10, 20}, {0, 5}, {15, 30}, {40, 40}};
  EXPECT_EQ(union_length_ns(&a), 25);  // [0,5) + [10,30)
  std::vector<Interval> b = {{4, 12}, {25, 50}};
  std::vector<Interval> ma = merge_intervals(&a), mb = merge_intervals(&b);
  EXPECT_EQ(intersection_length_ns(ma, mb), 1 + 2 + 5);  // [4,5) [10,12) [25,30)
  EXPECT_EQ(intersection_length_ns(ma, {}), 0);
}

// kineto_small_step.json, offsets in us from the first kernel (see make_trace_fixtures.py):
//   device 0 stream 7 : gemm [0,100) norm [100.5,110.5) grouped fp8 [120,220) flash fwd [230,290.25)
//                       (+ memset [110.6,111.0) and memcpy [295,297), not kernels)
//   device 0 stream 20: deep_ep dispatch [50,150), nccl all-reduce [280,320)
//   device 0 stream 21: deep_ep notify_dispatch [300,305)
//   device 1 stream 30: nccl all-gather [0,50)     device 1 stream 7: elementwise add [400,410)
// Busy: d0s7 = 100+10+100+60.25 = 270.25; d0s20 = 100+40 = 140; d0s21 = 5; d1s7 = 10; d1s30 = 50.
// Overlap on device 0: compute ∩ comm = [50,100) + [100.5,110.5) + [120,150) + [280,290.25)
//   = 50 + 10 + 30 + 10.25 = 100.25; device 1: [0,50) ∩ [400,410) = 0. Total 100.25 us.
TEST(TraceSummary, MatchesHandComputedNumbersOnKinetoFixture) {
  auto result = summarize_chrome_trace(data_path("kineto_small_step.json"));
  ASSERT_TRUE(result.ok()) << result.errors()[0].message;
  const TraceSummary& s = result.value();
  EXPECT_EQ(s.kernels, 9);
  EXPECT_EQ(s.memcpys, 1);
  EXPECT_EQ(s.memsets, 1);
  EXPECT_EQ(s.cpu_ops, 3);
  ASSERT_EQ(s.streams.size(), 5u);
  const std::vector<StreamSummary> expected = {
      {0, 7, 4, 270250}, {0, 20, 2, 140000}, {0, 21, 1, 5000}, {1, 7, 1, 10000}, {1, 30, 1, 50000}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(s.streams[i].device, expected[i].device) << i;
    EXPECT_EQ(s.streams[i].stream, expected[i].stream) << i;
    EXPECT_EQ(s.streams[i].kernels, expected[i].kernels) << i;
    EXPECT_EQ(s.streams[i].busy_ns, expected[i].busy_ns) << i;
  }
  EXPECT_EQ(s.compute_comm_overlap_ns, 100250);
  EXPECT_EQ(s.compute_busy_ns, 270250 + 10000);
  EXPECT_EQ(s.comm_busy_ns, 140000 + 50000);  // notify [300,305) lies inside the all-reduce

  std::map<std::string, std::pair<int64_t, int64_t>> classes;
  for (const OpClassSummary& c : s.op_classes) classes[op_class_name(c.op_class)] = {c.count, c.total_ns};
  const std::map<std::string, std::pair<int64_t, int64_t>> expected_classes = {
      {"gemm", {1, 100000}},          {"norm", {1, 10000}},           {"grouped_gemm_fp8", {1, 100000}},
      {"attention_fwd", {1, 60250}},  {"ep_dispatch", {1, 100000}},   {"nccl_all_reduce", {1, 40000}},
      {"ep_notify", {1, 5000}},       {"nccl_all_gather", {1, 50000}}, {"elementwise", {1, 10000}},
      {"memset", {1, 400}},           {"memcpy", {1, 2000}}};
  EXPECT_EQ(classes, expected_classes);
  EXPECT_EQ(s.op_classes.front().total_ns, 100000);  // sorted by time, descending

  ASSERT_EQ(s.annotations.size(), 3u);
  EXPECT_EQ(s.annotations[0].name, "ProfilerStep#3");
  EXPECT_EQ(s.annotations[0].total_ns, 400000);
  EXPECT_EQ(s.annotations[1].name, "layer_0.moe");
  EXPECT_EQ(s.annotations[1].total_ns, 120000);
  EXPECT_EQ(s.annotations[2].name, "layer_0.attn");
  EXPECT_EQ(s.annotations[2].count, 2);
  EXPECT_EQ(s.annotations[2].total_ns, 50750);  // 30.5 + 20.25
}

// chrome_array_format.json: one stream, kernels [1000,1010) [1005.0005,1015.0005) [1020,1025) us.
TEST(TraceSummary, OverlappingKernelsOnOneStreamCountOnce) {
  auto result = summarize_chrome_trace(data_path("chrome_array_format.json"));
  ASSERT_TRUE(result.ok()) << result.errors()[0].message;
  const TraceSummary& s = result.value();
  ASSERT_EQ(s.streams.size(), 1u);
  EXPECT_EQ(s.streams[0].busy_ns, 15001 + 5000);
  EXPECT_EQ(s.compute_comm_overlap_ns, 0);
  EXPECT_EQ(s.span_ns, 25000);
}

TEST(TraceSummary, PropagatesReaderErrors) {
  auto result = summarize_chrome_trace("/nonexistent.json");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.errors().size(), 1u);
}

}  // namespace
}  // namespace moesim::traces
