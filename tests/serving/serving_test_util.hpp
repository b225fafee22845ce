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

}  // namespace moesim::sim::serving::testing
