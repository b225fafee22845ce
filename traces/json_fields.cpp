#include "traces/json_fields.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace moesim::traces::detail {

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string describe(const json& v) {
  if (v.is_string()) return "\"" + v.get<std::string>() + "\"";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return v.dump();
}

bool parse_json_document(const std::string& text, const std::string& file, json* out,
                         std::vector<Error>* errors) {
  try {
    *out = json::parse(text);
    return true;
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    const size_t bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    errors->push_back(bad_input(file + ": not valid JSON (truncated or malformed) at byte " +
                                std::to_string(e.byte) + ": " + what));
    return false;
  }
}

bool read_text_file(const std::string& path, std::string* text, std::vector<Error>* errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors->push_back(bad_input(path + ": no such file or not readable"));
    return false;
  }
  std::ostringstream s;
  s << in.rdbuf();
  *text = s.str();
  if (text->empty()) {
    errors->push_back(bad_input(path + ": empty file"));
    return false;
  }
  return true;
}

bool check_header(const json& doc, const std::string& file, const std::string& format, int64_t max_version,
                  std::vector<Error>* errors) {
  if (!doc.is_object()) {
    errors->push_back(bad_input(file + ": top level is " + describe(doc) + ", expected an object"));
    return false;
  }
  auto f = doc.find("format");
  if (f == doc.end() || !f->is_string() || f->get<std::string>() != format) {
    errors->push_back(bad_input(file + ": format: found " + (f == doc.end() ? "nothing" : describe(*f)) +
                                ", expected \"" + format + "\""));
    return false;
  }
  auto v = doc.find("schema_version");
  if (v == doc.end() || !v->is_number_integer() || v->get<int64_t>() < 1 || v->get<int64_t>() > max_version) {
    errors->push_back(bad_input(file + ": schema_version: found " + (v == doc.end() ? "nothing" : describe(*v)) +
                                ", expected an integer from 1 to " + std::to_string(max_version)));
    return false;
  }
  return true;
}

ObjectReader::ObjectReader(const json& node, std::string path, std::string file, std::vector<Error>* errors)
    : node_(node), path_(std::move(path)), file_(std::move(file)), errors_(errors), is_object_(node.is_object()) {
  if (!is_object_) {
    errors_->push_back(bad_input(file_ + ": " + (path_.empty() ? "top level" : path_) + ": found " +
                                 describe(node) + ", expected an object"));
  }
}

void ObjectReader::error(const std::string& key, const std::string& message) {
  errors_->push_back(bad_input(file_ + ": " + key_path(key) + ": " + message));
}

const json* ObjectReader::find(const std::string& key, bool required, const char* expected) {
  known_.insert(key);
  if (!is_object_) return nullptr;
  auto it = node_.find(key);
  if (it == node_.end()) {
    if (required) error(key, std::string("missing, expected ") + expected);
    return nullptr;
  }
  return &*it;
}

void ObjectReader::required_string(const std::string& key, std::string* out) {
  const json* v = find(key, true, "a string");
  if (v == nullptr) return;
  if (!v->is_string()) return error(key, "found " + describe(*v) + ", expected a string");
  *out = v->get<std::string>();
}

void ObjectReader::optional_string(const std::string& key, std::string* out) {
  if (find(key, false, "") == nullptr) return;
  required_string(key, out);
}

void ObjectReader::required_int(const std::string& key, int64_t* out, int64_t min) {
  const json* v = find(key, true, "an integer");
  if (v == nullptr) return;
  if (!v->is_number_integer()) return error(key, "found " + describe(*v) + ", expected an integer");
  const int64_t value = v->get<int64_t>();
  if (value < min) return error(key, "found " + v->dump() + ", expected an integer >= " + std::to_string(min));
  *out = value;
}

void ObjectReader::optional_int(const std::string& key, int64_t* out, int64_t min) {
  if (find(key, false, "") == nullptr) return;
  required_int(key, out, min);
}

void ObjectReader::required_number(const std::string& key, double* out, double min) {
  const json* v = find(key, true, "a number");
  if (v == nullptr) return;
  if (!v->is_number()) return error(key, "found " + describe(*v) + ", expected a number");
  const double value = v->get<double>();
  if (!std::isfinite(value) || value < min) {
    std::ostringstream m;
    m << "found " << v->dump() << ", expected a number >= " << min;
    return error(key, m.str());
  }
  *out = value;
}

void ObjectReader::optional_number(const std::string& key, double* out, double min) {
  if (find(key, false, "") == nullptr) return;
  required_number(key, out, min);
}

void ObjectReader::optional_bool(const std::string& key, bool* out) {
  const json* v = find(key, false, "");
  if (v == nullptr) return;
  if (!v->is_boolean()) return error(key, "found " + describe(*v) + ", expected true or false");
  *out = v->get<bool>();
}

const json* ObjectReader::array(const std::string& key, bool required) {
  const json* v = find(key, required, "an array");
  if (v != nullptr && !v->is_array()) {
    error(key, "found " + describe(*v) + ", expected an array");
    return nullptr;
  }
  return v;
}

const json* ObjectReader::object(const std::string& key, bool required) {
  const json* v = find(key, required, "an object");
  if (v != nullptr && !v->is_object()) {
    error(key, "found " + describe(*v) + ", expected an object");
    return nullptr;
  }
  return v;
}

void ObjectReader::finish() {
  if (!is_object_) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (known_.count(it.key())) continue;
    std::string best;
    size_t best_distance = 4;
    for (const std::string& k : known_) {
      const size_t d = edit_distance(it.key(), k);
      if (d < best_distance) {
        best_distance = d;
        best = k;
      }
    }
    error(it.key(), "unknown key" + (best.empty() ? std::string() : " (did you mean '" + best + "'?)"));
  }
}

}  // namespace moesim::traces::detail
