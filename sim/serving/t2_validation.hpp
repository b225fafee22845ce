// The T2 rows of `moesim validate`: DeepSeek-V3/R1's published online-inference figures
// (shared/reference/published.md T2) against a simulation of the T2 scenario. The published values
// live only here, for the comparison table; the prediction never reads them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/cost_model.hpp"
#include "models/result.hpp"

namespace moesim::sim::serving {

struct ValidationRow {
  std::string id;        // "T2.prefill_input_tokens_per_s_per_node"
  double published = 0;
  double predicted = 0;
  std::string unit;
  std::string note;
  double relative_error() const { return published != 0 ? (predicted - published) / published : 0; }
};

// Simulates `scenario` (default: the embedded T2 scenario) with `requests` requests (0: the
// scenario's own, long enough for the decode batch to reach steady state).
Result<std::vector<ValidationRow>> validate_t2_rows(const models::CostModel& cost,
                                                   const std::string& scenario = "deepseek-v3-serving-h800",
                                                   int64_t requests = 0);

}  // namespace moesim::sim::serving
