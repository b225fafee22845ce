// Expert loads as the placement planner and the serving simulation read them: a layers × experts
// load matrix from CSV, from SGLang's `{"logical_count": [[...]]}` dump, from a per-token routing
// trace, or generated (Zipf).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/result.hpp"

namespace moesim::traces {

// load[layer][expert]: tokens routed to each logical expert of each MoE layer. Rectangular,
// finite, non-negative (validated by the readers; placement functions REQUIRE it).
using LoadMatrix = std::vector<std::vector<double>>;

// Which experts each token chose, per MoE layer. The file format (JSON):
//   {"moesim_routing_trace": 1, "num_experts": E, "top_k": K,
//    "layers": [ [[e, e, ...], ...],   // layer 0: one list of K distinct expert ids per token
//                ... ]}                // every layer lists the same tokens in the same order
// Token t of layer l chose experts choices[l][t*K .. t*K+K-1].
struct RoutingTrace {
  int num_experts = 0;
  int top_k = 0;
  int64_t num_tokens = 0;
  std::vector<std::vector<int>> choices;  // [layer][token * top_k + j]
};

// Parsers over text; `display_path` names the input in error messages.
Result<LoadMatrix> parse_loads_csv(const std::string& text, const std::string& display_path);
Result<LoadMatrix> parse_sglang_loads_json(const std::string& text, const std::string& display_path);
Result<RoutingTrace> parse_routing_trace_json(const std::string& text, const std::string& display_path);

// Parses load text, choosing the parser by content (see read_loads_file).
Result<LoadMatrix> parse_loads_text(const std::string& text, const std::string& display_path);
// True when `text` looks like a routing trace (a JSON object with "moesim_routing_trace").
bool is_routing_trace_text(const std::string& text);

// Reads a load file, choosing the parser by content: a JSON object with "logical_count" (SGLang),
// a JSON object with "moesim_routing_trace" (routing trace, reduced to loads), else CSV.
Result<LoadMatrix> read_loads_file(const std::string& path);
Result<RoutingTrace> read_routing_trace_file(const std::string& path);
// Reads a whole file; a missing or unreadable file is a bad-input error naming the path.
Result<std::string> read_text_file(const std::string& path);

// Tokens per expert per layer implied by a routing trace.
LoadMatrix loads_from_trace(const RoutingTrace& trace);

// Synthetic skewed loads: in each layer, experts get Zipf weights 1/rank^exponent over a random
// permutation of ranks, times a ±10 % jitter, scaled to `tokens_per_layer`. Deterministic in `seed`
// (own shuffle over std::mt19937_64, so identical on every standard library).
struct ZipfLoadSpec {
  int num_layers = 58;
  int num_experts = 256;
  double exponent = 1.0;
  double tokens_per_layer = 8.0 * 4096;  // top-8 routing of a 4096-token batch
  uint64_t seed = 0;
};
LoadMatrix zipf_loads(const ZipfLoadSpec& spec);

// A synthetic routing trace with the same kind of skew plus co-activation structure: experts belong
// to `num_clusters` hidden clusters and a token draws most of its top-k from one cluster. Used to
// exercise and test the locality policy.
struct SyntheticTraceSpec {
  int num_layers = 4;
  int num_experts = 64;
  int top_k = 8;
  int64_t num_tokens = 2048;
  int num_clusters = 8;
  double in_cluster_fraction = 0.75;  // chance that a pick comes from the token's cluster
  uint64_t seed = 0;
};
RoutingTrace synthetic_routing_trace(const SyntheticTraceSpec& spec);

// Checks rectangular, non-empty, finite, non-negative; errors name `display_path`, row and column.
std::vector<Error> validate_loads(const LoadMatrix& loads, const std::string& display_path);

}  // namespace moesim::traces
