// Request-level serving simulation: arrivals → prefill (chunked, batched) → KV transfer → decode
// (continuous batching, KV-cache admission, MTP) → metrics. A plain discrete-event loop; iteration
// times come from InstanceModel (SimGrid-timed all-to-alls, memoized compute).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "configs/serving_scenario.hpp"
#include "models/cost_model.hpp"
#include "models/result.hpp"
#include "sim/serving/instance_model.hpp"
#include "sim/serving/request_trace.hpp"

namespace moesim::sim::serving {

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, mean = 0;
};

// What happened to one request (times in seconds of simulated time; -1 = never).
struct RequestOutcome {
  double arrival_s = 0, first_token_s = -1, decode_start_s = -1, finish_s = -1;
  int64_t input_tokens = 0, output_tokens = 0, cached_tokens = 0;
  int64_t tokens_emitted = 0;  // prefill's first token + decode tokens; equals output_tokens when done
};

// One iteration of one instance, for the Chrome trace.
struct IterationEvent {
  int role = 0;       // 0 prefill, 1 decode
  int instance = 0;
  double start_s = 0, duration_s = 0;
  int64_t batch = 0;  // sequences (prefill) or requests (decode)
  int64_t tokens = 0;
};

struct ServingOptions {
  std::function<void(double fraction_done)> progress;  // called now and then (may be empty)
  bool record_iterations = false;                      // fill ServingResult::iterations (bounded)
  size_t max_iterations_recorded = 200000;
};

struct ServingResult {
  // Resolved operating point.
  double arrival_rate_per_s = 0;
  int64_t prefill_instances = 0, decode_instances = 0;
  int prefill_nodes_per_instance = 0, decode_nodes_per_instance = 0;
  int prefill_gpus_per_instance = 0, decode_gpus_per_instance = 0;
  int64_t decode_max_requests_per_gpu = 0;
  double prefill_capacity_rps = 0, decode_capacity_rps = 0;  // per instance, analytic from the iteration model
  double mean_input_tokens = 0, mean_output_tokens = 0;
  MemoryBudget prefill_memory, decode_memory;
  double prefill_max_over_mean_expert_rows = 1, decode_max_over_mean_expert_rows = 1;
  CommTable prefill_comm, decode_comm;
  StepBreakdown prefill_full_step;   // a full token-budget prefill batch at the mean request shape
  StepBreakdown decode_limit_step;   // a decode step at the request limit and the mean KV length

  // Counts (all requests).
  int64_t requests = 0, completed = 0, measured = 0;
  // Steady-state window metrics (requests arriving after the warm-up and before the cool-down).
  double window_s = 0;
  Percentiles ttft_s, tpot_s, e2e_s;
  double prefill_input_tokens_per_s_per_node = 0;   // per node while serving (busy node-seconds)
  double decode_output_tokens_per_s_per_node = 0;
  double prefill_input_tokens_per_s_per_gpu = 0, decode_output_tokens_per_s_per_gpu = 0;
  double prefill_input_tokens_per_s_per_provisioned_node = 0;  // over all provisioned node-seconds
  double decode_output_tokens_per_s_per_provisioned_node = 0;
  double prefill_utilization = 0, decode_utilization = 0;
  double mean_decode_batch_per_gpu = 0, mean_decode_context_tokens = 0;
  double goodput_rps = 0, slo_attainment = 0, throughput_rps = 0;
  double kv_utilization_mean = 0, kv_utilization_peak = 0;
  double cost_per_mtoken_input_usd = 0, cost_per_mtoken_output_usd = 0;
  double simulated_s = 0;
  double little_mean_in_system = 0;  // time-averaged requests in the system over the window

  std::vector<RequestOutcome> outcomes;
  std::vector<IterationEvent> iterations;
};

// REQUIRES: scenario validated by configs. Errors: bad input (trace/placement/load files),
// infeasible (model does not fit; a request larger than the KV cache).
Result<ServingResult> simulate_serving(const configs::ServingScenarioSpec& scenario, const models::CostModel& cost,
                                       const ServingOptions& options = {});

// Chrome trace JSON of the recorded iterations (pid = role/instance, one slice per iteration).
std::string iterations_chrome_trace(const ServingResult& result);

}  // namespace moesim::sim::serving
