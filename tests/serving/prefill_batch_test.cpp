// Chunked-prefill batches over attention DP groups: exact causal pairs per chunk, the balancer's
// busiest group, and the packing rule the loop and the capacity estimate share.
#include "sim/serving/prefill_batch.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "sim/serving/workload.hpp"

namespace moesim::sim::serving {
namespace {

double shape_pairs(const GroupShape& g) {
  return g.sequences * (g.new_tokens * g.context_tokens - g.new_tokens * (g.new_tokens - 1) / 2);
}

TEST(PrefillBatch, ChunkPairsCountTheCausalTriangleAfterThePrefix) {
  EXPECT_DOUBLE_EQ(chunk_attention_pairs({4, 4}), 10.0);          // no prefix: 1 + 2 + 3 + 4
  EXPECT_DOUBLE_EQ(chunk_attention_pairs({2, 6}), 5.0 + 6.0);     // 4 earlier tokens
}

// One group: the shape reproduces the batch's exact pairs, which exceed what the mean chunk at the
// mean context gives, since long chunks come with long contexts.
TEST(PrefillBatch, OneGroupKeepsTheExactPairs) {
  const std::vector<PrefillChunk> chunks = {{4000, 8000}, {100, 200}, {100, 150}};
  double exact = 0;
  for (const PrefillChunk& c : chunks) exact += chunk_attention_pairs(c);
  const GroupShape g = busiest_group(chunks, 1, 1 << 20);
  EXPECT_DOUBLE_EQ(g.sequences, 3);
  EXPECT_NEAR(shape_pairs(g), exact, 1e-6 * exact);
  const double n = 4200.0 / 3, c = 8350.0 / 3;
  EXPECT_GT(exact, 3 * (n * c - n * (n - 1) / 2));
}

// Largest attention first onto the least-loaded group: {100, 60, 50} pairs over two groups puts
// 100 alone and 60 + 50 together, so the busiest group has two sequences and 110 pairs.
TEST(PrefillBatch, BusiestGroupAfterBalancing) {
  const std::vector<PrefillChunk> chunks = {{1, 100}, {1, 60}, {1, 50}};
  const GroupShape g = busiest_group(chunks, 2, 100);
  EXPECT_DOUBLE_EQ(g.sequences, 2);
  EXPECT_NEAR(shape_pairs(g), 110.0, 1e-9);
}

// A group with no token room is skipped while another has room.
TEST(PrefillBatch, TokenCapSteersChunksToGroupsWithRoom) {
  const std::vector<PrefillChunk> chunks = {{10, 10}, {8, 8}, {8, 8}};
  const GroupShape g = busiest_group(chunks, 2, 16);  // 10 alone, then the two 8s share a group
  EXPECT_DOUBLE_EQ(g.sequences, 2);
  EXPECT_DOUBLE_EQ(g.new_tokens, 8);  // the most tokens any group got (16), per sequence
}

TEST(PrefillBatch, FillTakesCarriedFirstCapsChunksAndCarriesTheRest) {
  std::vector<int64_t> left = {5, 30, 7, 4};
  std::vector<int> carry = {0};
  std::vector<int> queue = {1, 2, 3};
  size_t next = 0;
  std::vector<std::pair<int, int64_t>> batch;
  auto pop = [&] { return next < queue.size() ? queue[next++] : -1; };
  EXPECT_EQ(fill_prefill_batch(20, 10, &carry, &left, pop, &batch), 20);
  const std::vector<std::pair<int, int64_t>> want = {{0, 5}, {1, 10}, {2, 5}};
  EXPECT_EQ(batch, want);
  EXPECT_EQ(carry, (std::vector<int>{1, 2}));  // both unfinished, in arrival order
  EXPECT_EQ(left, (std::vector<int64_t>{0, 20, 2, 4}));
  // Next batch: carried ones first (1 gets at most 10), then the queue.
  EXPECT_EQ(fill_prefill_batch(20, 10, &carry, &left, pop, &batch), 16);
  const std::vector<std::pair<int, int64_t>> want2 = {{1, 10}, {2, 2}, {3, 4}};
  EXPECT_EQ(batch, want2);
  EXPECT_EQ(carry, (std::vector<int>{1}));
}

std::vector<RequestRecord> sample(configs::LengthDistribution d, double cv) {
  configs::ServingWorkloadSpec w;
  w.requests = 4000;
  w.input_tokens.distribution = d;
  w.input_tokens.mean = 1000;
  w.input_tokens.cv = cv;
  w.output_tokens.mean = 1;
  return generate_requests(w, 1.0, 7);
}

// Equal requests without a cached prefix: every group holds whole requests, so the typical busiest
// group is exactly one group's share of requests.
TEST(PrefillBatch, TypicalBusiestGroupOfEqualRequestsIsTheirShape) {
  const GroupShape g = typical_busiest_group(sample(configs::LengthDistribution::kFixed, 0), 2, 4000);
  EXPECT_DOUBLE_EQ(g.sequences, 4);
  EXPECT_DOUBLE_EQ(g.new_tokens, 1000);
  EXPECT_NEAR(g.context_tokens, 1000, 1e-9);
}

// Spread-out lengths: the busiest group does more attention than the mean request's shape would.
TEST(PrefillBatch, SpreadLengthsMakeTheBusiestGroupHeavierThanTheMeanShape) {
  const GroupShape g = typical_busiest_group(sample(configs::LengthDistribution::kLognormal, 1.0), 8, 4096);
  const double mean_pairs_per_group = 4096.0 / 1000 * (1000.0 * 1001 / 2);
  EXPECT_GT(shape_pairs(g), 1.2 * mean_pairs_per_group);
}

}  // namespace
}  // namespace moesim::sim::serving
