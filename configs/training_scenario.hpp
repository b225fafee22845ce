// A training scenario: which model on which cluster, in which parallel layout, schedule, batch,
// precision and memory options, and the money/time question it answers. Loaded from
// configs/scenarios/*.yaml (by catalog name) or a user's file; `moesim simulate train` runs it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "models/dtype.hpp"
#include "models/hardware_spec.hpp"
#include "models/memory.hpp"
#include "models/model_spec.hpp"
#include "models/result.hpp"

namespace moesim::configs {

enum class PipelineSchedule { k1F1B, kZb1p, kDualPipe };

struct TrainingScenario {
  std::string name;
  std::string description;
  std::string source;           // where the layout and batch come from
  std::string display_path;     // file the scenario was read from (for messages)

  std::string model_name;       // catalog name or path, resolved into `model`
  std::string cluster_name;     // catalog name or path, resolved into `cluster`
  models::ModelSpec model;
  models::ClusterSpec cluster;

  // Parallelism: pp × dp × tp GPUs; experts split over `ep` ranks taken from a stage's dp × tp GPUs
  // (Megatron's "parallel folding": attention tensor-parallel, experts expert-parallel).
  int64_t pp = 1;
  int64_t dp = 1;
  int64_t ep = 1;
  int64_t tp = 1;               // tensor parallel with sequence parallelism; divides gpus_per_node
  PipelineSchedule schedule = PipelineSchedule::k1F1B;

  // Batch per optimizer step.
  int64_t global_batch_sequences = 1;
  int64_t sequence_tokens = 4096;
  int64_t micro_batch_sequences = 1;

  // Formats.
  models::DType gemm_dtype = models::DType::kBf16;
  models::DType dispatch_dtype = models::DType::kBf16;  // forward all-to-all dispatch payload
  models::DType combine_dtype = models::DType::kBf16;

  // Communication.
  bool communication = true;    // false: a zero-communication run (bubble checks)
  bool overlap_comm = true;     // overlap all-to-all with computation where the schedule allows
  int64_t comm_sms = 20;        // SMs the communication kernels take while they run
  uint64_t routing_seed = 1;

  // Memory.
  models::Recompute recompute = models::Recompute::kNone;
  models::TrainingStateSpec state;  // zero stage and bytes per parameter; data_parallel set by sim
  bool enforce_hbm_limit = true;    // false: report a layout that does not fit as a warning, not an error

  // Money.
  double price_usd_per_gpu_hour = 0;  // 0 = the GPU catalog's price
  double token_budget = 0;            // tokens to cost; 0 = the model's pretraining_tokens

  int64_t micro_batches() const { return global_batch_sequences / (dp * micro_batch_sequences); }
  int64_t tokens_per_step() const { return global_batch_sequences * sequence_tokens; }
};

const char* schedule_name(PipelineSchedule schedule);

// Parses and validates a scenario, loading the model and cluster it names. Every problem is one
// error "FILE:LINE: key.path: value found; what was expected".
Result<TrainingScenario> parse_training_scenario(const std::string& yaml_text, const std::string& display_path);
// Catalog name (configs/scenarios/NAME.yaml) or path.
Result<TrainingScenario> load_training_scenario(std::string_view name_or_path);

// Cross-field checks (layout vs cluster, experts vs ep, DualPipe's conditions ...). `line_of_key`
// maps a key path to its line (0 when unknown).
std::vector<Error> validate_training_scenario(const TrainingScenario& s,
                                              const std::function<int(const std::string&)>& line_of_key);

}  // namespace moesim::configs
