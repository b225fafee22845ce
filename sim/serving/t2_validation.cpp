#include "sim/serving/t2_validation.hpp"

#include "configs/serving_scenario.hpp"
#include "sim/serving/serving_sim.hpp"

namespace moesim::sim::serving {

Result<std::vector<ValidationRow>> validate_t2_rows(const models::CostModel& cost, const std::string& scenario,
                                                   int64_t requests) {
  Result<configs::ServingScenarioSpec> spec = configs::load_serving_scenario(scenario);
  if (!spec.ok()) return spec.errors();
  configs::ServingScenarioSpec s = std::move(spec).value();
  if (requests > 0) s.workload.requests = requests;
  Result<ServingResult> r = simulate_serving(s, cost);
  if (!r.ok()) return r.errors();
  const ServingResult& v = r.value();
  // Published: Open-Source Week day 6 (H800, 24 h on 2025-02-27/28); TPOT from 20-22 tokens/s per user.
  return std::vector<ValidationRow>{
      {"T2.prefill_input_tokens_per_s_per_node", 73.7e3, v.prefill_input_tokens_per_s_per_node, "tokens/s",
       "input tokens incl. cache hits per prefill node in service"},
      {"T2.decode_output_tokens_per_s_per_node", 14.8e3, v.decode_output_tokens_per_s_per_node, "tokens/s",
       "output tokens per decode node in service"},
      {"T2.tpot_ms", 47.5, v.tpot_s.mean * 1e3, "ms", "mean time per output token (published 45-50 ms)"}};
}

}  // namespace moesim::sim::serving
