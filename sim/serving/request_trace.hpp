// Request traces for serving simulations: one row per request with its arrival time and token
// counts. Read from CSV (header: arrival_s,input_tokens,output_tokens[,cached_tokens]) or JSONL
// (one object per line with the same keys). Malformed rows are errors naming file, line and field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/result.hpp"

namespace moesim::sim::serving {

struct RequestRecord {
  double arrival_s = 0;
  int64_t input_tokens = 0;    // prompt length, cached prefix included
  int64_t output_tokens = 0;   // tokens to generate (>= 1)
  int64_t cached_tokens = 0;   // prefix served from the KV cache (< input_tokens)
};

// Parses trace text; `display_path` names it in errors. Rows are returned sorted by arrival.
Result<std::vector<RequestRecord>> parse_request_trace(const std::string& text, const std::string& display_path);
// Reads a trace file (format chosen by extension: .jsonl/.json → JSONL, anything else → CSV).
Result<std::vector<RequestRecord>> read_request_trace(const std::string& path);
// Writes CSV that parse_request_trace reads back unchanged.
std::string write_request_trace_csv(const std::vector<RequestRecord>& rows);

}  // namespace moesim::sim::serving
