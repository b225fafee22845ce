#include "configs/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace moesim::configs {

namespace {

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

std::string scalar_text(const YAML::Node& node) {
  if (node.IsScalar()) return "\"" + node.Scalar() + "\"";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "nothing";
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

bool parse_double(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

struct UnitFactor {
  const char* name;
  double factor;
};

const std::vector<UnitFactor>& units_for(Unit unit) {
  static const std::vector<UnitFactor> bytes = {
      {"B", 1},      {"KB", 1e3},  {"MB", 1e6},           {"GB", 1e9},           {"TB", 1e12},
      {"KiB", 1024}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
  static const std::vector<UnitFactor> bandwidth = {
      {"B/s", 1},     {"KB/s", 1e3},     {"MB/s", 1e6},     {"GB/s", 1e9},     {"TB/s", 1e12},
      {"Kb/s", 125},  {"Mb/s", 1.25e5},  {"Gb/s", 1.25e8},  {"Tb/s", 1.25e11}, {"Gbps", 1.25e8},
      {"Tbps", 1.25e11}};
  static const std::vector<UnitFactor> flops = {{"FLOPS", 1},     {"GFLOPS", 1e9}, {"TFLOPS", 1e12},
                                                {"PFLOPS", 1e15}, {"flop/s", 1},   {"Tflop/s", 1e12}};
  static const std::vector<UnitFactor> seconds = {{"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}};
  static const std::vector<UnitFactor> watts = {{"W", 1}, {"kW", 1e3}};
  switch (unit) {
    case Unit::kBytes: return bytes;
    case Unit::kBytesPerSecond: return bandwidth;
    case Unit::kFlopsPerSecond: return flops;
    case Unit::kSeconds: return seconds;
    case Unit::kWatts: return watts;
  }
  return bytes;
}

std::string unit_examples(Unit unit) {
  switch (unit) {
    case Unit::kBytes: return "a size such as \"80 GB\" or \"80 GiB\" (or a number of bytes)";
    case Unit::kBytesPerSecond: return "a bandwidth such as \"3.35 TB/s\" or \"400 Gb/s\" (or bytes/s)";
    case Unit::kFlopsPerSecond: return "a rate such as \"989 TFLOPS\" (or flop/s)";
    case Unit::kSeconds: return "a time such as \"3.7 us\" or \"2 ms\" (or seconds)";
    case Unit::kWatts: return "a power such as \"700 W\" (or watts)";
  }
  return "a quantity";
}

}  // namespace

void Diagnostics::error(const YAML::Node& at, const std::string& key_path, const std::string& message) {
  error_at_line(line_of(at), key_path, message);
}

void Diagnostics::error_at_line(int line, const std::string& key_path, const std::string& message) {
  std::ostringstream s;
  s << file;
  if (line > 0) s << ":" << line;
  s << ": ";
  if (!key_path.empty()) s << key_path << ": ";
  s << message;
  errors.push_back(bad_input(s.str()));
}

YAML::Node parse_yaml(const std::string& text, Diagnostics* diag) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) {
      diag->error_at_line(1, "", "expected a YAML mapping of keys to values at the top level, found " +
                                     (root.IsNull() ? std::string("an empty document") : scalar_text(root)));
      return YAML::Node();
    }
    return root;
  } catch (const YAML::Exception& e) {
    diag->error_at_line(e.mark.is_null() ? 0 : e.mark.line + 1, "", "YAML syntax error: " + e.msg);
    return YAML::Node();
  }
}

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(3, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

bool parse_quantity(const std::string& text, Unit unit, double* out, std::string* expected) {
  *expected = unit_examples(unit);
  std::string number = text, suffix;
  const size_t space = text.find_first_of(" \t");
  if (space != std::string::npos) {
    number = text.substr(0, space);
    suffix = text.substr(text.find_first_not_of(" \t", space));
  } else {
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' ||
                               text[i] == 'e' || text[i] == 'E' || text[i] == '-' || text[i] == '+')) {
      ++i;
    }
    // A trailing exponent letter belongs to the unit ("1e" is not a number, "2 E..." is not a unit).
    number = text.substr(0, i);
    suffix = text.substr(i);
  }
  double value = 0;
  if (!parse_double(number, &value)) return false;
  double factor = suffix.empty() ? 1.0 : 0.0;
  for (const UnitFactor& u : units_for(unit)) {
    if (suffix == u.name) factor = u.factor;
  }
  if (factor == 0.0) return false;
  *out = value * factor;
  return true;
}

MapReader::MapReader(YAML::Node node, std::string path, Diagnostics* diag)
    : node_(std::move(node)), path_(std::move(path)), diag_(diag), is_map_(node_.IsDefined() && node_.IsMap()) {}

bool MapReader::has(const std::string& key) const { return is_map_ && node_[key].IsDefined(); }

std::string MapReader::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

YAML::Node MapReader::node_of(const std::string& key) const {
  if (is_map_) {
    for (const auto& kv : node_) {
      if (kv.first.Scalar() == key) return kv.first;
    }
  }
  return node_;
}

void MapReader::error(const std::string& key, const std::string& message) {
  diag_->error(node_of(key), key_path(key), message);
}

bool MapReader::present(const std::string& key, bool required, const std::string& expected) {
  mark(key);
  if (!is_map_) return false;
  const YAML::Node v = node_[key];
  if (!v.IsDefined() || v.IsNull()) {
    if (required) {
      diag_->error(node_, path_.empty() ? key : key_path(key), "missing required key, expected " + expected);
    }
    return false;
  }
  return true;
}

void MapReader::required_int(const std::string& key, int64_t* out, int64_t min) {
  const std::string expected = min >= 1 ? "a positive integer" : "an integer >= " + std::to_string(min);
  if (!present(key, true, expected)) return;
  optional_int(key, out, min);
}

void MapReader::optional_int(const std::string& key, int64_t* out, int64_t min) {
  const std::string expected = min >= 1 ? "a positive integer" : "an integer >= " + std::to_string(min);
  if (!present(key, false, expected)) return;
  const YAML::Node v = node_[key];
  double value = 0;
  const bool number = v.IsScalar() && parse_double(v.Scalar(), &value);
  if (!number || value != std::floor(value) || std::fabs(value) > 9.0e15 || value < static_cast<double>(min)) {
    error(key, "found " + scalar_text(v) + ", expected " + expected);
    return;
  }
  *out = static_cast<int64_t>(value);
}

void MapReader::required_number(const std::string& key, double* out, double min, bool min_inclusive) {
  if (!present(key, true, "a number")) return;
  optional_number(key, out, min, min_inclusive);
}

void MapReader::optional_number(const std::string& key, double* out, double min, bool min_inclusive) {
  if (!present(key, false, "a number")) return;
  const YAML::Node v = node_[key];
  double value = 0;
  const std::string expected =
      std::string("a finite number ") + (min_inclusive ? ">= " : "> ") + std::to_string(min).substr(0, 6);
  if (!v.IsScalar() || !parse_double(v.Scalar(), &value) || (min_inclusive ? value < min : value <= min)) {
    error(key, "found " + scalar_text(v) + ", expected " + expected);
    return;
  }
  *out = value;
}

void MapReader::required_quantity(const std::string& key, Unit unit, double* out) {
  std::string dummy;
  double ignored = 0;
  parse_quantity("1", unit, &ignored, &dummy);
  if (!present(key, true, dummy)) return;
  optional_quantity(key, unit, out);
}

void MapReader::optional_quantity(const std::string& key, Unit unit, double* out) {
  if (!present(key, false, "")) return;
  const YAML::Node v = node_[key];
  std::string expected;
  double value = 0;
  const bool ok = v.IsScalar() && parse_quantity(v.Scalar(), unit, &value, &expected);
  if (!ok || value <= 0) {
    if (expected.empty()) parse_quantity("", unit, &value, &expected);
    error(key, "found " + scalar_text(v) + ", expected a positive " + expected);
    return;
  }
  *out = value;
}

void MapReader::required_string(const std::string& key, std::string* out) {
  if (!present(key, true, "a string")) return;
  optional_string(key, out);
}

void MapReader::optional_string(const std::string& key, std::string* out) {
  if (!present(key, false, "a string")) return;
  const YAML::Node v = node_[key];
  if (!v.IsScalar()) {
    error(key, "found " + scalar_text(v) + ", expected a string");
    return;
  }
  *out = v.Scalar();
}

void MapReader::optional_bool(const std::string& key, bool* out) {
  if (!present(key, false, "true or false")) return;
  const YAML::Node v = node_[key];
  const std::string s = v.IsScalar() ? v.Scalar() : "";
  if (s == "true" || s == "yes") {
    *out = true;
  } else if (s == "false" || s == "no") {
    *out = false;
  } else {
    error(key, "found " + scalar_text(v) + ", expected true or false");
  }
}

void MapReader::required_choice(const std::string& key, const std::vector<std::string>& choices, int* out) {
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : ", ") + c;
  if (!present(key, true, "one of: " + list)) return;
  optional_choice(key, choices, out);
}

void MapReader::optional_choice(const std::string& key, const std::vector<std::string>& choices, int* out) {
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : ", ") + c;
  if (!present(key, false, "one of: " + list)) return;
  const YAML::Node v = node_[key];
  const std::string s = v.IsScalar() ? v.Scalar() : "";
  for (size_t i = 0; i < choices.size(); ++i) {
    if (s == choices[i]) {
      *out = static_cast<int>(i);
      return;
    }
  }
  std::string message = "found " + scalar_text(v) + ", expected one of: " + list;
  const std::string near = nearest(s, choices);
  if (!near.empty()) message += " (did you mean \"" + near + "\"?)";
  error(key, message);
}

void MapReader::optional_dtype(const std::string& key, models::DType* out) {
  static const std::vector<models::DType> kAll = {models::DType::kFp32, models::DType::kBf16, models::DType::kFp16,
                                                  models::DType::kFp8,  models::DType::kInt4, models::DType::kFp4};
  std::vector<std::string> names;
  for (models::DType d : kAll) names.emplace_back(models::to_string(d));
  int index = -1;
  optional_choice(key, names, &index);
  if (index >= 0) *out = kAll[static_cast<size_t>(index)];
}

MapReader MapReader::child(const std::string& key, bool required) {
  if (!present(key, required, "a mapping")) return MapReader(YAML::Node(), key_path(key), diag_);
  const YAML::Node v = node_[key];
  if (!v.IsMap()) {
    error(key, "found " + scalar_text(v) + ", expected a mapping of keys to values");
    return MapReader(YAML::Node(), key_path(key), diag_);
  }
  return MapReader(v, key_path(key), diag_);
}

std::vector<std::pair<std::string, YAML::Node>> MapReader::entries(const std::string& key, bool required) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (!present(key, required, "a mapping")) return out;
  const YAML::Node v = node_[key];
  if (!v.IsMap()) {
    error(key, "found " + scalar_text(v) + ", expected a mapping of keys to values");
    return out;
  }
  for (const auto& kv : v) out.emplace_back(kv.first.Scalar(), kv.second);
  return out;
}

void MapReader::finish() {
  if (!is_map_) return;
  const std::vector<std::string> known(known_.begin(), known_.end());
  for (const auto& kv : node_) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (known_.count(key)) continue;
    std::string message = "unknown key";
    const std::string near = nearest(key, known);
    if (!near.empty()) message += "; did you mean \"" + near + "\"?";
    diag_->error(kv.first, key_path(key), message);
  }
}

}  // namespace moesim::configs
