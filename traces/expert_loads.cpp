// Readers and generators of expert-load matrices and routing traces (see expert_loads.hpp).
#include "traces/expert_loads.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace moesim::traces {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool parse_number(const std::string& cell, double* out) {
  if (cell.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(cell.c_str(), &end);
  return end == cell.c_str() + cell.size();
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) cells.push_back(trim(cell));
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

// One CSV row of numbers; a non-numeric cell is an error naming line and column.
Result<std::vector<double>> parse_csv_row(const std::vector<std::string>& cells, const std::string& where) {
  std::vector<double> row;
  for (size_t c = 0; c < cells.size(); ++c) {
    double v = 0;
    if (!parse_number(cells[c], &v)) {
      return bad_input(where + ": column " + std::to_string(c + 1) + ": '" + cells[c] +
                       "' is not a number (expected a non-negative expert load)");
    }
    row.push_back(v);
  }
  return row;
}

bool looks_like_header(const std::vector<std::string>& cells) {
  double v = 0;
  return std::none_of(cells.begin(), cells.end(), [&](const std::string& c) { return parse_number(c, &v); });
}

// Uniform double in [0, 1) from the top 53 bits: the same on every standard library.
double unit_uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Fisher-Yates with our own index draw (std::shuffle's algorithm is implementation-defined).
void shuffle(std::vector<int>* v, std::mt19937_64& rng) {
  for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[rng() % i]);
}

}  // namespace

std::vector<Error> validate_loads(const LoadMatrix& loads, const std::string& display_path) {
  if (loads.empty() || loads[0].empty()) return {bad_input(display_path + ": no expert loads (expected layers × experts numbers)")};
  const size_t width = loads[0].size();
  for (size_t l = 0; l < loads.size(); ++l) {
    if (loads[l].size() != width) {
      return {bad_input(display_path + ": layer " + std::to_string(l) + " has " + std::to_string(loads[l].size()) +
                        " experts, expected " + std::to_string(width) + " (ragged rows)")};
    }
    for (size_t e = 0; e < width; ++e) {
      const double v = loads[l][e];
      if (!std::isfinite(v) || v < 0) {
        std::ostringstream s;
        s << display_path << ": layer " << l << ", expert " << e << ": load " << v
          << " is invalid (expected a finite number >= 0)";
        return {bad_input(s.str())};
      }
    }
  }
  return {};
}

Result<LoadMatrix> parse_loads_csv(const std::string& text, const std::string& display_path) {
  LoadMatrix loads;
  std::stringstream in(text);
  std::string line;
  size_t width = 0;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto cells = split_csv(line);
    if (loads.empty() && width == 0 && looks_like_header(cells)) {
      width = cells.size();
      continue;
    }
    const std::string where = display_path + ":" + std::to_string(line_no);
    auto row = parse_csv_row(cells, where);
    if (!row.ok()) return row.errors();
    if (width == 0) width = row.value().size();
    if (row.value().size() != width) {
      return bad_input(where + ": row has " + std::to_string(row.value().size()) + " values, expected " +
                       std::to_string(width) + " (ragged rows; every layer needs one load per expert)");
    }
    loads.push_back(std::move(row).value());
  }
  auto errors = validate_loads(loads, display_path);
  if (!errors.empty()) return errors;
  return loads;
}

Result<LoadMatrix> parse_sglang_loads_json(const std::string& text, const std::string& display_path) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return bad_input(display_path + ": malformed JSON (expected {\"logical_count\": [[...]]})");
  if (!doc.is_object() || !doc.contains("logical_count")) {
    return bad_input(display_path + ": missing key \"logical_count\" (expected {\"logical_count\": [[...]]})");
  }
  const auto& rows = doc["logical_count"];
  if (!rows.is_array()) return bad_input(display_path + ": logical_count is not an array of layers");
  LoadMatrix loads;
  for (size_t l = 0; l < rows.size(); ++l) {
    if (!rows[l].is_array()) return bad_input(display_path + ": logical_count[" + std::to_string(l) + "] is not an array of loads");
    std::vector<double> row;
    for (size_t e = 0; e < rows[l].size(); ++e) {
      if (!rows[l][e].is_number()) {
        return bad_input(display_path + ": logical_count[" + std::to_string(l) + "][" + std::to_string(e) + "] = " +
                         rows[l][e].dump() + " is not a number (expected a non-negative expert load)");
      }
      row.push_back(rows[l][e].get<double>());
    }
    loads.push_back(std::move(row));
  }
  auto errors = validate_loads(loads, display_path);
  if (!errors.empty()) return errors;
  return loads;
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad_input(path + ": cannot open file (missing or unreadable)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool is_routing_trace_text(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && text[first] == '{' && text.find("\"moesim_routing_trace\"") != std::string::npos;
}

Result<LoadMatrix> parse_loads_text(const std::string& t, const std::string& path) {
  const auto first = t.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return bad_input(path + ": empty file (expected expert loads)");
  if (t[first] != '{' && t[first] != '[') return parse_loads_csv(t, path);
  if (is_routing_trace_text(t)) {
    auto trace = parse_routing_trace_json(t, path);
    if (!trace.ok()) return trace.errors();
    return loads_from_trace(trace.value());
  }
  return parse_sglang_loads_json(t, path);
}

Result<LoadMatrix> read_loads_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text.ok()) return text.errors();
  return parse_loads_text(text.value(), path);
}

Result<RoutingTrace> read_routing_trace_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text.ok()) return text.errors();
  return parse_routing_trace_json(text.value(), path);
}

LoadMatrix zipf_loads(const ZipfLoadSpec& spec) {
  std::mt19937_64 rng(spec.seed);
  std::vector<double> weight(spec.num_experts);
  double total = 0;
  for (int r = 0; r < spec.num_experts; ++r) total += weight[r] = std::pow(r + 1.0, -spec.exponent);
  LoadMatrix loads(spec.num_layers, std::vector<double>(spec.num_experts));
  for (auto& row : loads) {
    std::vector<int> rank(spec.num_experts);
    for (int e = 0; e < spec.num_experts; ++e) rank[e] = e;
    shuffle(&rank, rng);
    for (int e = 0; e < spec.num_experts; ++e) {
      const double jitter = 0.9 + 0.2 * unit_uniform(rng);
      row[e] = std::round(spec.tokens_per_layer * weight[rank[e]] / total * jitter);
    }
  }
  return loads;
}

}  // namespace moesim::traces
