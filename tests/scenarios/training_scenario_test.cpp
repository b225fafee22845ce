// One test per message of configs/training_scenario.cpp.
#include "configs/training_scenario.hpp"

#include <gtest/gtest.h>

#include <string>

namespace moesim::configs {
namespace {

// A valid scenario on one HGX H800 node; each test changes one line.
std::string base() {
  return "kind: train\n"                 // 1
         "name: tiny\n"                  // 2
         "model: deepseek-v2-lite\n"     // 3
         "cluster: hgx-h800\n"           // 4
         "schedule: 1f1b\n"              // 5
         "parallelism:\n"                // 6
         "  pp: 2\n"                     // 7
         "  dp: 4\n"                     // 8
         "  ep: 4\n"                     // 9
         "batch:\n"                      // 10
         "  global_sequences: 32\n"      // 11
         "  sequence_tokens: 4096\n"     // 12
         "precision:\n"                  // 13
         "  gemm: bf16\n"                // 14
         "communication:\n"              // 15
         "  sms: 20\n"                   // 16
         "memory:\n"                     // 17
         "  zero: 1\n";                  // 18
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string first_error(const std::string& yaml) {
  Result<TrainingScenario> r = parse_training_scenario(yaml, "s.yaml");
  return r.ok() ? std::string("(parsed)") : r.errors()[0].message;
}

TEST(TrainingScenarioTest, BaseParses) {
  Result<TrainingScenario> r = parse_training_scenario(base(), "s.yaml");
  ASSERT_TRUE(r.ok()) << r.errors()[0].message;
  EXPECT_EQ(r.value().micro_batches(), 8);
  EXPECT_EQ(r.value().model.name, "deepseek-v2-lite");
  EXPECT_EQ(r.value().cluster.gpu.name, "h800");
}

TEST(TrainingScenarioTest, CatalogScenariosParse) {
  for (const char* name : {"deepseek-v3-pretrain-h800", "deepseek-v2-pretrain-h800"}) {
    Result<TrainingScenario> r = load_training_scenario(name);
    ASSERT_TRUE(r.ok()) << r.errors()[0].message;
  }
  const TrainingScenario v3 = load_training_scenario("deepseek-v3-pretrain-h800").value();
  EXPECT_EQ(v3.pp * v3.dp, 2048);
  EXPECT_EQ(v3.micro_batches(), 120);
  EXPECT_EQ(v3.tokens_per_step(), 15360LL * 4096);
}

TEST(TrainingScenarioTest, LayoutMustCoverTheCluster) {
  EXPECT_EQ(first_error(replace(base(), "  dp: 4", "  dp: 2")),
            "s.yaml:6: parallelism: pp x dp x tp = 2 x 2 x 1 = 4; expected the cluster's 8 GPUs");
}

TEST(TrainingScenarioTest, TensorParallelismParses) {
  const std::string y = replace(replace(base(), "  dp: 4", "  dp: 2\n  tp: 2"), "  global_sequences: 32", "  global_sequences: 16");
  Result<TrainingScenario> r = parse_training_scenario(y, "s.yaml");
  ASSERT_TRUE(r.ok()) << r.errors()[0].message;
  EXPECT_EQ(r.value().tp, 2);
  EXPECT_EQ(r.value().micro_batches(), 8);
}

TEST(TrainingScenarioTest, TpMustDivideGpusPerNode) {
  std::string y = replace(base(), "cluster: hgx-h800", "cluster: tests/scenarios/data/six-gpu-nodes.yaml");
  y = replace(replace(y, "  dp: 4", "  dp: 3\n  tp: 4"), "  global_sequences: 32", "  global_sequences: 48");
  EXPECT_EQ(first_error(y), "s.yaml:9: parallelism.tp: 4; expected a divisor of gpus_per_node=6 "
                            "(a tensor-parallel group lies inside one node)");
}

TEST(TrainingScenarioTest, TpMustDivideAttentionHeads) {
  std::string y = replace(base(), "cluster: hgx-h800", "cluster: tests/scenarios/data/six-gpu-nodes.yaml");
  y = replace(replace(y, "  pp: 2", "  pp: 1"), "  dp: 4", "  dp: 8\n  tp: 3");
  EXPECT_EQ(first_error(y), "s.yaml:9: parallelism.tp: 3 does not divide the model's num_heads=16");
}

TEST(TrainingScenarioTest, TpMustDivideTheMicroBatchTokens) {
  std::string y = replace(base(), "  dp: 4", "  dp: 2\n  tp: 2");
  y = replace(y, "  sequence_tokens: 4096", "  sequence_tokens: 4095");
  EXPECT_EQ(first_error(y), "s.yaml:9: parallelism.tp: 2 does not divide a micro-batch's 4095 tokens "
                            "(sequence parallelism splits them over the TP group)");
}

TEST(TrainingScenarioTest, EpMustDivideExperts) {
  const std::string y = replace(replace(base(), "  ep: 4", "  ep: 3"), "  dp: 4", "  dp: 4");
  EXPECT_EQ(first_error(y), "s.yaml:9: parallelism.ep: 3 does not divide num_routed_experts=64");
}

TEST(TrainingScenarioTest, EpMustDivideAStage) {
  EXPECT_EQ(first_error(replace(base(), "  ep: 4", "  ep: 8")),
            "s.yaml:9: parallelism.ep: 8 does not divide a stage's dp x tp = 4 GPUs");
}

TEST(TrainingScenarioTest, EpAcrossNodesMustBeWholeNodes) {
  std::string y = replace(base(), "cluster: hgx-h800", "cluster: tests/scenarios/data/six-gpu-nodes.yaml");
  y = replace(replace(replace(y, "  pp: 2", "  pp: 3"), "  dp: 4", "  dp: 8"), "  ep: 4", "  ep: 8");
  y = replace(y, "  global_sequences: 32", "  global_sequences: 64");
  EXPECT_EQ(first_error(y), "s.yaml:9: parallelism.ep: 8; expected a multiple of gpus_per_node=6 when an EP group spans nodes");
}

TEST(TrainingScenarioTest, PipelineCannotHaveMoreStagesThanLayers) {
  std::string y = replace(base(), "cluster: hgx-h800", "cluster: deepseek-h800-2048");
  y = replace(replace(y, "  pp: 2", "  pp: 32"), "  dp: 4", "  dp: 64");
  y = replace(y, "  global_sequences: 32", "  global_sequences: 64");
  EXPECT_EQ(first_error(y), "s.yaml:7: parallelism.pp: 32 exceeds the model's 27 layers");
}

TEST(TrainingScenarioTest, BatchMustSplitIntoMicroBatches) {
  EXPECT_EQ(first_error(replace(base(), "  global_sequences: 32", "  global_sequences: 30")),
            "s.yaml:11: batch.global_sequences: 30 is not divisible by dp x micro_batch_sequences = 4");
}

TEST(TrainingScenarioTest, DualPipeNeedsAnEvenNumberOfStages) {
  std::string y = replace(replace(base(), "schedule: 1f1b", "schedule: dualpipe"), "cluster: hgx-h800",
                          "cluster: tests/scenarios/data/six-gpu-nodes.yaml");
  y = replace(replace(y, "  pp: 2", "  pp: 3"), "  dp: 4", "  dp: 8");
  y = replace(y, "  global_sequences: 32", "  global_sequences: 64");
  EXPECT_EQ(first_error(y), "s.yaml:7: parallelism.pp: 3; DualPipe needs an even number of stages");
}

TEST(TrainingScenarioTest, DualPipeNeedsEnoughMicroBatches) {
  const std::string y = replace(replace(base(), "schedule: 1f1b", "schedule: dualpipe"), "  global_sequences: 32",
                                "  global_sequences: 8");
  EXPECT_EQ(first_error(y),
            "s.yaml:11: batch.global_sequences: gives 2 micro-batches per pipeline; DualPipe needs an even number "
            ">= 2 x pp = 4");
}

TEST(TrainingScenarioTest, CommunicationSmsMustLeaveSomeForCompute) {
  EXPECT_EQ(first_error(replace(base(), "  sms: 20", "  sms: 132")),
            "s.yaml:16: communication.sms: 132; expected fewer than the GPU's 132 SMs");
}

TEST(TrainingScenarioTest, SequenceMustFitTheContext) {
  EXPECT_EQ(first_error(replace(base(), "  sequence_tokens: 4096", "  sequence_tokens: 65536")),
            "s.yaml:12: batch.sequence_tokens: 65536 exceeds the model's context of 32768 tokens");
}

TEST(TrainingScenarioTest, UnknownKeysAreRejectedWithASuggestion) {
  const std::string e = first_error(replace(base(), "schedule: 1f1b", "schedule: 1f1b\nschedul: x"));
  EXPECT_NE(e.find("s.yaml:6"), std::string::npos) << e;
  EXPECT_NE(e.find("schedule"), std::string::npos) << e;
}

TEST(TrainingScenarioTest, UnknownScheduleIsRejected) {
  const std::string e = first_error(replace(base(), "schedule: 1f1b", "schedule: gpipe"));
  EXPECT_NE(e.find("s.yaml:5: schedule"), std::string::npos) << e;
}

TEST(TrainingScenarioTest, UnknownDtypeIsRejected) {
  EXPECT_EQ(first_error(replace(base(), "  gemm: bf16", "  gemm: fp9")),
            "s.yaml:14: precision.gemm: found \"fp9\", expected one of: fp32, bf16, fp16, fp8, int4, fp4 (did you mean \"fp8\"?)");
}

TEST(TrainingScenarioTest, ZeroStageAboveThreeIsRejected) {
  EXPECT_EQ(first_error(replace(base(), "  zero: 1", "  zero: 4")), "s.yaml:18: memory.zero: 4; expected 0, 1, 2 or 3");
}

TEST(TrainingScenarioTest, UnknownModelIsReportedAtItsLine) {
  const std::string e = first_error(replace(base(), "model: deepseek-v2-lite", "model: deepseek-v9"));
  EXPECT_EQ(e.rfind("s.yaml:3: model: 'deepseek-v9' did not load: ", 0), 0u) << e;
}

TEST(TrainingScenarioTest, UnknownClusterIsReportedAtItsLine) {
  const std::string e = first_error(replace(base(), "cluster: hgx-h800", "cluster: nowhere"));
  EXPECT_EQ(e.rfind("s.yaml:4: cluster: 'nowhere' did not load: ", 0), 0u) << e;
}

TEST(TrainingScenarioTest, KindMustBeTrain) {
  const std::string e = first_error(replace(base(), "kind: train", "kind: serve"));
  EXPECT_NE(e.find("s.yaml:1: kind"), std::string::npos) << e;
}

TEST(TrainingScenarioTest, MissingFileIsBadInput) {
  Result<TrainingScenario> r = load_training_scenario("no/such/file.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].kind, ErrorKind::kBadInput);
}

}  // namespace
}  // namespace moesim::configs
