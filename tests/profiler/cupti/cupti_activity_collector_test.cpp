// Record parsing on synthetic CUPTI activity buffers: kernels, memcpy, memset, the external
// correlation join (also across buffers), unknown kinds, dropped-record accounting.
#include <gtest/gtest.h>

#include "profiler/cupti/activity_collector.hpp"
#include "tests/profiler/cupti/cupti_test_buffers.hpp"

namespace moesim::profiler::cupti {
namespace {

using testing::ActivityBufferBuilder;
using testing::external_record;
using testing::kernel_record;
using testing::memcpy_record;
using testing::memset_record;
using traces::ActivityKind;

TEST(ActivityCollector, ConvertsKernelMemcpyAndMemsetRecords) {
  ActivityBufferBuilder b;
  b.add(kernel_record("_Z7rmsnormPKfPfi", 1000, 1500, 11))
      .add(memcpy_record(4096, 2000, 2100, 12))
      .add(memset_record(256, 3000, 3010, 13));
  ActivityCollector collector;
  collector.add_buffer(b.data(), b.size());
  CorrelationRegistry registry;
  auto records = collector.take_records(registry);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].kind, ActivityKind::kKernel);
  EXPECT_EQ(records[0].name, "rmsnorm(float const*, float*, int)");  // demangled
  EXPECT_EQ(records[0].start_ns, 1000);
  EXPECT_EQ(records[0].duration_ns(), 500);
  EXPECT_EQ(records[0].stream, 7);
  EXPECT_EQ(records[0].correlation_id, 11);
  EXPECT_EQ(records[0].grid[0], 132);
  EXPECT_EQ(records[0].grid[1], 2);
  EXPECT_EQ(records[0].block[0], 256);
  EXPECT_EQ(records[1].kind, ActivityKind::kMemcpy);
  EXPECT_EQ(records[1].name, "Memcpy DtoD");
  EXPECT_EQ(records[1].bytes, 4096);
  EXPECT_EQ(records[1].tags.at("copy_kind"), "DtoD");
  EXPECT_EQ(records[2].kind, ActivityKind::kMemset);
  EXPECT_EQ(records[2].bytes, 256);
  EXPECT_EQ(records[2].stream, 3);
  const ActivityStats s = collector.stats();
  EXPECT_EQ(s.kernels, 1);
  EXPECT_EQ(s.memcpys, 1);
  EXPECT_EQ(s.memsets, 1);
  EXPECT_EQ(s.corrupt_buffers, 0);
  EXPECT_EQ(s.untagged_records, 3);
}

TEST(ActivityCollector, JoinsExternalIdsToTagsAcrossBuffers) {
  CorrelationRegistry registry;
  const uint64_t id = registry.register_tags({{"op", "experts.down"}, {"m", "128"}, {"layer", "3"}});
  ActivityBufferBuilder first, second;
  first.add(kernel_record("gemm_a", 10, 20, 100)).add(kernel_record("gemm_b", 30, 40, 101));
  // The external-correlation records come in a later buffer than the kernels they tag.
  second.add(external_record(id, 100)).add(external_record(999, 101, CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM1));
  ActivityCollector collector;
  collector.add_buffer(first.data(), first.size());
  collector.add_buffer(second.data(), second.size());
  auto records = collector.take_records(registry);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].tags.at("op"), "experts.down");
  EXPECT_EQ(records[0].tags.at("layer"), "3");
  EXPECT_EQ(records[0].tags.at("external_id"), std::to_string(id));
  // An id nobody registered still shows up, under its kind.
  EXPECT_EQ(records[1].tags.at("external_id.custom1"), "999");
  EXPECT_EQ(records[1].tags.count("op"), 0u);
  EXPECT_EQ(collector.stats().external_correlations, 2);
  EXPECT_EQ(collector.stats().untagged_records, 0);
  EXPECT_EQ(collector.stats().buffers, 2);
}

TEST(ActivityCollector, SortsByStartAndEmptiesOnTake) {
  ActivityBufferBuilder b;
  b.add(kernel_record("late", 500, 600, 1)).add(kernel_record("early", 100, 200, 2));
  ActivityCollector collector;
  collector.add_buffer(b.data(), b.size());
  CorrelationRegistry registry;
  auto records = collector.take_records(registry);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].name, "early");
  EXPECT_EQ(records[1].name, "late");
  EXPECT_TRUE(collector.take_records(registry).empty());
}

TEST(ActivityCollector, CountsOtherKindsWithoutConvertingThem) {
  CUpti_ActivityAPI api{};
  api.kind = CUPTI_ACTIVITY_KIND_RUNTIME;
  api.correlationId = 5;
  ActivityBufferBuilder b;
  b.add(api).add(kernel_record("k", 1, 2, 5));
  ActivityCollector collector;
  collector.add_buffer(b.data(), b.size());
  CorrelationRegistry registry;
  EXPECT_EQ(collector.take_records(registry).size(), 1u);
  EXPECT_EQ(collector.stats().other_records, 1);
}

TEST(ActivityCollector, AccumulatesDroppedRecords) {
  ActivityCollector collector;
  collector.add_dropped(3);
  collector.add_dropped(4);
  EXPECT_EQ(collector.stats().dropped_records, 7);
}

TEST(ActivityCollector, EmptyBufferIsCountedButHarmless) {
  ActivityCollector collector;
  collector.add_buffer(nullptr, 0);
  CorrelationRegistry registry;
  EXPECT_TRUE(collector.take_records(registry).empty());
  EXPECT_EQ(collector.stats().buffers, 1);
  EXPECT_EQ(collector.stats().corrupt_buffers, 0);
}

TEST(ActivityCollector, DemanglesOnlyWhatIsMangled) {
  EXPECT_EQ(demangle_kernel_name("_Z3addPfS_i"), "add(float*, float*, int)");
  EXPECT_EQ(demangle_kernel_name("nvjet_tst_128x256"), "nvjet_tst_128x256");
  EXPECT_EQ(demangle_kernel_name(nullptr), "<unnamed>");
}

TEST(CorrelationRegistry, IdsAreFreshAndNonZero) {
  CorrelationRegistry registry;
  const uint64_t a = registry.register_tags({{"op", "a"}});
  const uint64_t b = registry.register_tags({{"op", "b"}});
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(registry.find(b)->at("op"), "b");
  EXPECT_FALSE(registry.find(b + 100).has_value());
  EXPECT_EQ(registry.size(), 2u);
}

}  // namespace
}  // namespace moesim::profiler::cupti
