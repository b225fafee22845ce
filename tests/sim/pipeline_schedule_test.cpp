#include "sim/pipeline_schedule.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace moesim::sim {
namespace {

StageCosts uniform(int pp, double f, double bi, double w) {
  StageCosts c;
  c.forward_s.assign(pp, f);
  c.backward_input_s.assign(pp, bi);
  c.weight_s.assign(pp, w);
  return c;
}

double max_bubble(const PipelineResult& r) { return *std::max_element(r.bubble_s.begin(), r.bubble_s.end()); }

TEST(PipelineScheduleTest, OneFOneBBubbleIsTheFormulaForAnyChunkTimes) {
  for (int pp : {2, 4, 8, 16}) {
    const StageCosts c = uniform(pp, 1.3, 1.7, 0.9);
    Result<PipelineResult> r = run_pipeline(ScheduleKind::k1F1B, pp, 3 * pp, c);
    ASSERT_TRUE(r.ok());
    EXPECT_NEAR(max_bubble(r.value()), bubble_formula(ScheduleKind::k1F1B, pp, 1.3, 2.6, 0.9, 0), 1e-9) << pp;
    EXPECT_NEAR(r.value().makespan_s, 3 * pp * 3.9 + (pp - 1) * 3.9, 1e-9);
  }
}

// ZB-H1 and DualPipe reach their formulas when F, B-input and W are equal (the formulas' setting).
TEST(PipelineScheduleTest, ZeroBubbleAndDualPipeMatchTheirFormulasWithEqualChunks) {
  for (int pp : {4, 8, 16}) {
    for (ScheduleKind k : {ScheduleKind::kZb1p, ScheduleKind::kDualPipe}) {
      Result<PipelineResult> r = run_pipeline(k, pp, 4 * pp, uniform(pp, 1, 1, 1));
      ASSERT_TRUE(r.ok());
      EXPECT_NEAR(max_bubble(r.value()), bubble_formula(k, pp, 1, 2, 1, 3), 1e-9) << schedule_name(k) << pp;
    }
  }
}

TEST(PipelineScheduleTest, ZeroBubbleMatchesWhenWeightGradientsAreCheaper) {
  Result<PipelineResult> r = run_pipeline(ScheduleKind::kZb1p, 8, 32, uniform(8, 1, 1, 0.5));
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(max_bubble(r.value()), bubble_formula(ScheduleKind::kZb1p, 8, 1, 1.5, 0.5, 0), 1e-9);
}

// With unequal chunks (T1's stage: F 27.5, B-input 41.2, W 17.7 ms) a weight gradient that filled a
// gap shorter than itself would delay the input gradient the earlier stages wait for; ZB-H1 must
// still land on its formula.
TEST(PipelineScheduleTest, ZeroBubbleMatchesItsFormulaForUnequalChunks) {
  for (int pp : {4, 8, 16}) {
    for (const auto& [f, bi, w] : {std::tuple{0.0275, 0.0412, 0.0177}, std::tuple{1.3, 1.7, 0.9}, std::tuple{1.0, 2.0, 0.4}}) {
      Result<PipelineResult> r = run_pipeline(ScheduleKind::kZb1p, pp, 8 * pp, uniform(pp, f, bi, w));
      ASSERT_TRUE(r.ok());
      EXPECT_NEAR(max_bubble(r.value()), bubble_formula(ScheduleKind::kZb1p, pp, f, bi + w, w, 0), 1e-9)
          << pp << " " << f << " " << bi << " " << w;
    }
  }
}

// DualPipe's formula is exact when F equals B-input; otherwise the simulated bubble differs from it
// by (F - B-input) per half-pipeline step (dualpipe.py's order executed as written).
TEST(PipelineScheduleTest, DualPipeMatchesItsFormulaWheneverForwardEqualsInputBackward) {
  for (int pp : {4, 8, 16}) {
    for (double w : {0.2, 0.5, 1.0}) {
      Result<PipelineResult> r = run_pipeline(ScheduleKind::kDualPipe, pp, 4 * pp, uniform(pp, 1, 1, w));
      ASSERT_TRUE(r.ok());
      EXPECT_NEAR(max_bubble(r.value()), bubble_formula(ScheduleKind::kDualPipe, pp, 1, 1 + w, w, 2 + w), 1e-9)
          << pp << " " << w;
    }
  }
}

TEST(PipelineScheduleTest, EveryRankRunsEveryMicroBatchOnceInEachChunk) {
  for (ScheduleKind k : {ScheduleKind::k1F1B, ScheduleKind::kZb1p, ScheduleKind::kDualPipe}) {
    const int pp = 8, m = 20;
    Result<PipelineResult> r = run_pipeline(k, pp, m, uniform(pp, 1, 1, 1));
    ASSERT_TRUE(r.ok());
    std::map<int, double> busy;
    for (const PipelineEvent& e : r.value().events) busy[e.rank] += e.end_s - e.start_s;
    // DualPipe: m/2 micro-batches per direction through each of a rank's two chunks = m as well.
    for (int rank = 0; rank < pp; ++rank) EXPECT_NEAR(busy[rank], m * 3.0, 1e-9) << schedule_name(k);
  }
}

TEST(PipelineScheduleTest, SendTimeDelaysTheFirstBackward) {
  StageCosts c = uniform(2, 1, 1, 0);
  c.p2p_s = 0.25;
  Result<PipelineResult> r = run_pipeline(ScheduleKind::k1F1B, 2, 1, c);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r.value().makespan_s, 1 + 0.25 + 1 + 1 + 0.25 + 1, 1e-12);  // F0, send, F1, B1, send, B0
}

TEST(PipelineScheduleTest, DualPipeRejectsAnOddNumberOfStages) {
  Result<PipelineResult> r = run_pipeline(ScheduleKind::kDualPipe, 3, 12, uniform(3, 1, 1, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].message,
            "DualPipe needs an even pp (3) and an even number of micro-batches >= 2 x pp (12)");
}

TEST(PipelineScheduleTest, DualPipeRejectsTooFewMicroBatches) {
  Result<PipelineResult> r = run_pipeline(ScheduleKind::kDualPipe, 4, 6, uniform(4, 1, 1, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].kind, ErrorKind::kBadInput);
}

TEST(PipelineScheduleTest, MismatchedStageCostsAreAnInternalError) {
  Result<PipelineResult> r = run_pipeline(ScheduleKind::k1F1B, 4, 8, uniform(3, 1, 1, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].kind, ErrorKind::kInternal);
}

}  // namespace
}  // namespace moesim::sim
