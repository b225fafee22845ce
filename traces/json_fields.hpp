// Internal to traces/*.cpp: strict reading of our own versioned JSON formats (kernel records,
// calibration tables). Every problem becomes one line "FILE: key.path: found X, expected Y";
// unknown keys are errors with the nearest known key suggested.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "models/result.hpp"

namespace moesim::traces::detail {

using json = nlohmann::json;

// Parses `text` as one JSON document; on failure records an error naming `file` and the byte offset.
bool parse_json_document(const std::string& text, const std::string& file, json* out, std::vector<Error>* errors);

// Reads a file into `text`; false with an error naming the file if it is missing or unreadable.
bool read_text_file(const std::string& path, std::string* text, std::vector<Error>* errors);

// Checks the "format" and "schema_version" keys every moesim file starts with.
bool check_header(const json& doc, const std::string& file, const std::string& format, int64_t max_version,
                  std::vector<Error>* errors);

class ObjectReader {
 public:
  ObjectReader(const json& node, std::string path, std::string file, std::vector<Error>* errors);
  bool ok() const { return is_object_; }

  void required_string(const std::string& key, std::string* out);
  void optional_string(const std::string& key, std::string* out);
  void required_int(const std::string& key, int64_t* out, int64_t min);
  void optional_int(const std::string& key, int64_t* out, int64_t min);
  void required_number(const std::string& key, double* out, double min);
  void optional_number(const std::string& key, double* out, double min);
  void optional_bool(const std::string& key, bool* out);
  // The node at `key` if it has the right type, else nullptr (and an error if required or mistyped).
  const json* array(const std::string& key, bool required);
  const json* object(const std::string& key, bool required);
  // Marks a key as known without reading it.
  void allow(const std::string& key) { known_.insert(key); }
  // Records an error for each key no getter asked about.
  void finish();

  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  void error(const std::string& key, const std::string& message);

 private:
  const json* find(const std::string& key, bool required, const char* expected);

  const json& node_;
  std::string path_;
  std::string file_;
  std::vector<Error>* errors_;
  bool is_object_ = false;
  std::set<std::string> known_;
};

// Short description of a JSON value for messages: "\"abc\"", "12", "an array", "an object".
std::string describe(const json& value);

}  // namespace moesim::traces::detail
