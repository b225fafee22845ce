// Shared helpers for the serving tests: the embedded T2 scenario text and small edits of it.
#pragma once

#include <string>

#include "configs/catalog.hpp"

namespace moesim::sim::serving::testing {

inline std::string t2_yaml() {
  std::string path;
  Result<std::string> text = configs::read_config_text("scenarios", "deepseek-v3-serving-h800", &path);
  return text.ok() ? text.value() : std::string();
}

// Replaces the first occurrence of `from` (which must exist) with `to`.
inline std::string edit(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) return "EDIT-NOT-FOUND: " + from;
  return text.replace(at, from.size(), to);
}

// A small, fast scenario: DeepSeek-V2-Lite on one 8-GPU H800 node per instance (EP8), requests
// of ~1K input and `output_mean` output tokens at `rate` requests/s (0 = auto), no MTP.
inline std::string light_yaml(const std::string& rate = "20", const std::string& output_mean = "32") {
  std::string y = t2_yaml();
  y = edit(y, "model: deepseek-v3", "model: deepseek-v2-lite");
  y = edit(y, "cluster: deepseek-h800-prefill-unit", "cluster: hgx-h800");
  y = edit(y, "cluster: deepseek-h800-decode-unit", "cluster: hgx-h800");
  y = edit(y, "  ep: 32\n", "  ep: 8\n");
  y = edit(y, "  ep: 144\n", "  ep: 8\n");
  y = edit(y, "redundant_experts: 32  # 9 routed", "redundant_experts: 0  # 9 routed");
  y = edit(y, "redundant_experts: 32  # 2 routed", "redundant_experts: 0  # 2 routed");
  y = edit(y, "draft_tokens: 1", "draft_tokens: 0");
  y = edit(y, "rate_per_s: 0 ", "rate_per_s: " + rate + " ");
  y = edit(y, "mean: 4254, cv: 0.5", "mean: 1024, cv: 0.5");
  y = edit(y, "mean: 1175, cv: 0.5", "mean: " + output_mean + ", cv: 0.5");
  return edit(y, "warmup_fraction: 0.25", "warmup_fraction: 0.1");
}

}  // namespace moesim::sim::serving::testing
