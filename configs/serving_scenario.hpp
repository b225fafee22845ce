// A serving scenario (`moesim simulate serve SCENARIO.yaml`): the model, the prefill and decode
// instances (cluster, parallelism, batch limits), the request workload, expert loads and SLOs.
// Plain structs with defaults in place; parse/load validate them once, reporting every problem.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "models/dtype.hpp"
#include "models/hardware_spec.hpp"
#include "models/model_spec.hpp"
#include "models/result.hpp"

namespace moesim::configs {

enum class ArrivalProcess { kPoisson, kGamma, kTrace };
enum class LengthDistribution { kFixed, kUniform, kExponential, kLognormal };

// Token counts drawn per request; `cv` (stddev / mean) is used by uniform and lognormal.
struct LengthSpec {
  LengthDistribution distribution = LengthDistribution::kFixed;
  double mean = 1024;
  double cv = 0.5;
  int64_t min = 1;
  int64_t max = 131072;
};

struct ServingWorkloadSpec {
  int64_t requests = 10000;                     // generated requests (ignored with a trace)
  ArrivalProcess arrival = ArrivalProcess::kPoisson;
  double rate_per_s = 0;                        // mean arrival rate; 0 = auto (load x bottleneck capacity)
  double load = 0.95;                           // with auto rate: fraction of the bottleneck's capacity
  double gamma_cv = 2.0;                        // gamma arrivals: coefficient of variation of gaps
  std::string trace_path;                       // arrival: trace → CSV/JSONL request trace
  LengthSpec input_tokens;
  LengthSpec output_tokens;
  double prefix_cache_hit_rate = 0;             // fraction of input tokens served from the KV cache
  double warmup_fraction = 0.1;                 // requests at each end left out of steady-state metrics
};

enum class AttentionParallel { kDp, kTp };

// One kind of serving instance (all instances of a role are identical).
struct ServingInstanceSpec {
  std::string cluster_name;          // catalog cluster: the nodes of ONE instance
  models::ClusterSpec cluster;       // resolved by the loader
  int64_t instances = 1;             // 0 = auto (prefill only: match the decode capacity)
  AttentionParallel attention = AttentionParallel::kDp;
  int64_t attention_tp = 1;          // GPUs per attention group when attention is tp
  int64_t ep = 0;                    // expert-parallel ranks; 0 = every GPU of the instance
  int64_t redundant_experts = 0;     // extra physical expert slots for replicas of hot experts
  int64_t micro_batches = 2;         // 1 or 2: two overlap one's compute with the other's all-to-all
  int64_t comm_sms = 0;              // SMs the all-to-all kernels take from compute while in flight
  int64_t token_budget_per_gpu = 16384;  // prefill: new tokens per GPU per chunked-prefill batch
  int64_t max_requests_per_gpu = 0;  // decode: continuous-batching limit; 0 = auto (largest meeting the TPOT SLO)
  double activation_reserve_bytes = 6e9;  // HBM kept for activations, buffers and the CUDA context
  std::string placement_path;        // optional `moesim place` JSON (physical_to_logical_map)
};

enum class ExpertLoadKind { kBalanced, kZipf, kMeasured };

struct ExpertLoadSpec {
  ExpertLoadKind kind = ExpertLoadKind::kBalanced;
  double zipf_s = 1.0;
  std::string path;                  // measured: CSV (layers x experts) or {"logical_count": ...} JSON
};

struct MtpSpec {
  int64_t draft_tokens = 0;          // speculative tokens per step from the MTP module (0 = off)
  double acceptance_rate = 0.85;     // probability a draft token is accepted
};

struct SloSpec {
  double ttft_s = 5.0;
  double tpot_s = 0.05;
};

struct ServingScenarioSpec {
  std::string name, description, source;
  std::string model_name;
  models::ModelSpec model;           // resolved by the loader
  bool disaggregated = true;         // false: colocated, one pool (the decode section) does both
  models::DType gemm_dtype = models::DType::kFp8;
  models::DType attention_dtype = models::DType::kBf16;
  models::DType kv_cache_dtype = models::DType::kFp8;
  models::DType dispatch_dtype = models::DType::kFp8;
  models::DType combine_dtype = models::DType::kBf16;
  // Sustained / boost SM clock under heavy load (DeepSeek reports H800s throttling to ~1600 MHz of
  // 1980): scales tensor-core peaks. 1 = datasheet.

  double price_usd_per_gpu_hour = 0; // 0 = the GPU catalog's price
  uint64_t seed = 1;
  ServingWorkloadSpec workload;
  ServingInstanceSpec prefill;
  ServingInstanceSpec decode;
  ExpertLoadSpec expert_load;
  MtpSpec mtp;
  SloSpec slo;
};

Result<ServingScenarioSpec> parse_serving_scenario(const std::string& yaml_text, const std::string& display_path);
// `name_or_path`: a catalog scenario name or a YAML path.
Result<ServingScenarioSpec> load_serving_scenario(std::string_view name_or_path);

}  // namespace moesim::configs
