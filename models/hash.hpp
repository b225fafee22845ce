// Stable content hash for cache keys and the `config_hash` every output carries.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace moesim {

// 64-bit FNV-1a of `text`, as 16 lower-case hex digits. Stable across runs, builds and machines.
inline std::string fnv1a_hex(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace moesim
