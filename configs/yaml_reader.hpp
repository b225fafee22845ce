// Internal to configs/: reads a YAML mapping key by key, recording every problem with its file, line
// and key path, and rejecting unknown keys with the nearest known key suggested.
// Includes yaml-cpp, so only configs/*.cpp may include it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "models/dtype.hpp"
#include "models/result.hpp"

namespace moesim::configs {

// Collects the errors of one file.
struct Diagnostics {
  std::string file;
  std::vector<Error> errors;
  // "FILE:LINE: KEY.PATH: MESSAGE"
  void error(const YAML::Node& at, const std::string& key_path, const std::string& message);
  void error_at_line(int line, const std::string& key_path, const std::string& message);
};

// Parses YAML text; on a syntax error records it (with line) and returns a null node.
YAML::Node parse_yaml(const std::string& text, Diagnostics* diag);

// Quantities a config may give with a unit ("80 GB", "400 Gb/s", "989 TFLOPS", "3.3 us", "700 W").
enum class Unit { kBytes, kBytesPerSecond, kFlopsPerSecond, kSeconds, kWatts };

// Levenshtein-nearest candidate, or "" if nothing is close.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

class MapReader {
 public:
  // `path` is the key path of this mapping ("" for the document root).
  MapReader(YAML::Node node, std::string path, Diagnostics* diag);

  bool is_map() const { return is_map_; }
  const std::string& path() const { return path_; }
  bool has(const std::string& key) const;

  // Each getter marks the key as known; a missing required key, a wrong type or a value out of range
  // records an error and leaves *out unchanged.
  void required_int(const std::string& key, int64_t* out, int64_t min = 1);
  void optional_int(const std::string& key, int64_t* out, int64_t min = 0);
  void required_number(const std::string& key, double* out, double min = 0, bool min_inclusive = false);
  void optional_number(const std::string& key, double* out, double min = 0, bool min_inclusive = true);
  void required_quantity(const std::string& key, Unit unit, double* out);
  void optional_quantity(const std::string& key, Unit unit, double* out);
  void required_string(const std::string& key, std::string* out);
  void optional_string(const std::string& key, std::string* out);
  void optional_bool(const std::string& key, bool* out);
  // One of `choices` (value names); stores the index of the match.
  void required_choice(const std::string& key, const std::vector<std::string>& choices, int* out);
  void optional_choice(const std::string& key, const std::vector<std::string>& choices, int* out);
  // A number format by its lower-case name (bf16, fp8, ...).
  void optional_dtype(const std::string& key, models::DType* out);

  // A nested mapping; its reader is not a map (and getters do nothing) if absent or malformed.
  MapReader child(const std::string& key, bool required);
  // Free-form scalar map (e.g. peak: {bf16: 989 TFLOPS}); marks the key as known.
  std::vector<std::pair<std::string, YAML::Node>> entries(const std::string& key, bool required);

  // Records an error for every key that no getter asked about, suggesting the nearest known key.
  void finish();

  void error(const std::string& key, const std::string& message);
  // Line of `key` (or of this mapping when absent).
  YAML::Node node_of(const std::string& key) const;
  std::string key_path(const std::string& key) const;
  Diagnostics* diagnostics() const { return diag_; }

 private:
  void mark(const std::string& key) { known_.insert(key); }
  bool present(const std::string& key, bool required, const std::string& expected);

  YAML::Node node_;
  std::string path_;
  Diagnostics* diag_;
  bool is_map_ = false;
  std::set<std::string> known_;
};

// Parses a number with an optional unit into SI; false with `expected` filled if malformed.
bool parse_quantity(const std::string& text, Unit unit, double* out, std::string* expected);

}  // namespace moesim::configs
