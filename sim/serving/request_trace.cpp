#include "sim/serving/request_trace.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace moesim::sim::serving {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool parse_number(const std::string& text, double* out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size() && std::isfinite(*out);
}

// Checks one row's values; "" when valid, else what is wrong.
std::string check_row(const RequestRecord& r) {
  if (r.arrival_s < 0) return "arrival_s " + std::to_string(r.arrival_s) + " is negative, expected >= 0";
  if (r.input_tokens < 1) return "input_tokens " + std::to_string(r.input_tokens) + ", expected >= 1";
  if (r.output_tokens < 1) return "output_tokens " + std::to_string(r.output_tokens) + ", expected >= 1";
  if (r.cached_tokens < 0 || r.cached_tokens >= r.input_tokens)
    return "cached_tokens " + std::to_string(r.cached_tokens) + ", expected in [0, input_tokens=" +
           std::to_string(r.input_tokens) + ")";
  return "";
}

Error row_error(const std::string& path, int line, const std::string& what) {
  return bad_input(path + ":" + std::to_string(line) + ": " + what);
}

bool to_count(double v, int64_t* out) {
  if (v != std::floor(v) || std::fabs(v) > 1e15) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

Result<std::vector<RequestRecord>> parse_csv(const std::string& text, const std::string& path) {
  static const char* kNames[] = {"arrival_s", "input_tokens", "output_tokens", "cached_tokens"};
  std::istringstream in(text);
  std::string line;
  std::vector<RequestRecord> rows;
  int line_no = 0;
  size_t columns = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(trim(c));
    if (columns == 0) {  // header
      if (cells.size() < 3 || cells.size() > 4)
        return row_error(path, line_no, "header has " + std::to_string(cells.size()) +
                                             " columns, expected arrival_s,input_tokens,output_tokens[,cached_tokens]");
      for (size_t i = 0; i < cells.size(); ++i)
        if (cells[i] != kNames[i])
          return row_error(path, line_no, "header column " + std::to_string(i + 1) + " is '" + cells[i] +
                                               "', expected '" + kNames[i] + "'");
      columns = cells.size();
      continue;
    }
    if (cells.size() != columns)
      return row_error(path, line_no, "row has " + std::to_string(cells.size()) + " fields, expected " +
                                          std::to_string(columns));
    double v[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < columns; ++i) {
      if (!parse_number(cells[i], &v[i]))
        return row_error(path, line_no, std::string(kNames[i]) + " is '" + cells[i] + "', expected a number");
    }
    RequestRecord r;
    r.arrival_s = v[0];
    if (!to_count(v[1], &r.input_tokens) || !to_count(v[2], &r.output_tokens) || !to_count(v[3], &r.cached_tokens))
      return row_error(path, line_no, "token counts must be whole numbers");
    if (std::string why = check_row(r); !why.empty()) return row_error(path, line_no, why);
    rows.push_back(r);
  }
  if (columns == 0) return bad_input(path + ": empty trace, expected a header arrival_s,input_tokens,output_tokens");
  return rows;
}

Result<std::vector<RequestRecord>> parse_jsonl(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  std::string line;
  std::vector<RequestRecord> rows;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return row_error(path, line_no, "not a JSON object");
    RequestRecord r;
    auto number = [&](const char* key, bool required, double* out) -> std::string {
      if (!j.contains(key)) return required ? std::string("missing key '") + key + "'" : "";
      if (!j[key].is_number()) return std::string("'") + key + "' is " + j[key].dump() + ", expected a number";
      *out = j[key].get<double>();
      return "";
    };
    double v[4] = {0, 0, 0, 0};
    for (auto [key, req, i] : {std::tuple{"arrival_s", true, 0}, {"input_tokens", true, 1},
                               {"output_tokens", true, 2}, {"cached_tokens", false, 3}}) {
      if (std::string why = number(key, req, &v[i]); !why.empty()) return row_error(path, line_no, why);
    }
    r.arrival_s = v[0];
    if (!to_count(v[1], &r.input_tokens) || !to_count(v[2], &r.output_tokens) || !to_count(v[3], &r.cached_tokens))
      return row_error(path, line_no, "token counts must be whole numbers");
    if (std::string why = check_row(r); !why.empty()) return row_error(path, line_no, why);
    rows.push_back(r);
  }
  return rows;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<std::vector<RequestRecord>> parse_request_trace(const std::string& text, const std::string& display_path) {
  const bool jsonl = ends_with(display_path, ".jsonl") || ends_with(display_path, ".json");
  Result<std::vector<RequestRecord>> rows = jsonl ? parse_jsonl(text, display_path) : parse_csv(text, display_path);
  if (!rows.ok()) return rows;
  if (rows.value().empty()) return bad_input(display_path + ": the trace has no requests, expected at least one row");
  std::stable_sort(rows.value().begin(), rows.value().end(),
                   [](const RequestRecord& a, const RequestRecord& b) { return a.arrival_s < b.arrival_s; });
  return rows;
}

Result<std::vector<RequestRecord>> read_request_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad_input(path + ": cannot open the request trace");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_request_trace(text.str(), path);
}

std::string write_request_trace_csv(const std::vector<RequestRecord>& rows) {
  std::string out = "arrival_s,input_tokens,output_tokens,cached_tokens\n";
  char buf[128];
  for (const RequestRecord& r : rows) {
    std::snprintf(buf, sizeof buf, "%.17g,%lld,%lld,%lld\n", r.arrival_s, static_cast<long long>(r.input_tokens),
                  static_cast<long long>(r.output_tokens), static_cast<long long>(r.cached_tokens));
    out += buf;
  }
  return out;
}

}  // namespace moesim::sim::serving
