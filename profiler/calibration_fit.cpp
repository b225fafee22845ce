#include "profiler/calibration_fit.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace moesim::profiler {

namespace {

using Tags = std::map<std::string, std::string>;

bool parse_int(const std::string& text, int64_t* out) {
  if (text == "true") return *out = 1, true;
  if (text == "false") return *out = 0, true;
  if (text.empty() || text.size() > 18) return false;
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return false;
  int64_t v = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  *out = text[0] == '-' ? -v : v;
  return true;
}

const std::string* tag(const Tags& tags, const std::string& key) {
  auto it = tags.find(key);
  return it == tags.end() ? nullptr : &it->second;
}

// What a record's tags say it computed.
enum class Tagged { kNothing, kOp, kUnknownOp };

Tagged op_kind_of(const Tags& tags, models::OpKind* kind) {
  if (const std::string* k = tag(tags, "op_kind")) {
    return traces::parse_op_kind(*k, kind) ? Tagged::kOp : Tagged::kUnknownOp;
  }
  if (const std::string* op = tag(tags, "op"); op && traces::parse_op_kind(*op, kind)) return Tagged::kOp;
  if (tag(tags, "m") && tag(tags, "n") && tag(tags, "k")) {
    int64_t groups = 1;
    if (const std::string* g = tag(tags, "groups")) parse_int(*g, &groups);
    *kind = groups > 1 ? models::OpKind::kGroupedGemm : models::OpKind::kGemm;
    return Tagged::kOp;
  }
  return Tagged::kNothing;
}

struct Key {
  models::OpKind kind;
  models::DType dtype;
  std::map<std::string, int64_t> shape;
  bool operator<(const Key& o) const {
    return std::tie(kind, dtype, shape) < std::tie(o.kind, o.dtype, o.shape);
  }
};

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// Parses one record's op tags into a key; an error string when they are malformed.
std::string read_key(const Tags& tags, models::OpKind kind, Key* key) {
  key->kind = kind;
  const std::vector<traces::ShapeKey>& keys = traces::calibration_shape_keys(kind);
  if (keys.empty()) return "op kind " + models::op_kind_name(kind) + " cannot be calibrated yet";
  const std::string* dtype = tag(tags, "dtype");
  if (dtype == nullptr) return "tag dtype is missing, expected bf16, fp16, fp8 or fp4";
  auto d = models::parse_dtype(*dtype);
  if (!d) return "tag dtype is \"" + *dtype + "\", expected bf16, fp16, fp8 or fp4";
  key->dtype = *d;
  for (const traces::ShapeKey& k : keys) {
    const std::string* v = tag(tags, k.name);
    if (v == nullptr && std::string(k.name) == "tokens") v = tag(tags, "seq");
    if (v == nullptr) {
      if (k.required) return std::string("tag ") + k.name + " is missing, required for op " + models::op_kind_name(kind);
      key->shape[k.name] = k.default_value;
      continue;
    }
    int64_t value = 0;
    if (!parse_int(*v, &value) || value < k.min_value) {
      return std::string("tag ") + k.name + " is \"" + *v + "\", expected an integer >= " + std::to_string(k.min_value);
    }
    key->shape[k.name] = value;
  }
  return "";
}

}  // namespace

Result<CalibrationFitResult> calibration_from_records(const std::vector<RecordFile>& files,
                                                      const traces::CalibrationProvenance& provenance) {
  CalibrationFitResult result;
  std::vector<Error> errors;
  // (key) → (rep id → summed ns), plus the most frequent kernel name per key.
  std::map<Key, std::map<std::string, double>> reps;
  std::map<Key, std::map<std::string, int>> names;
  for (const RecordFile& file : files) {
    for (size_t i = 0; i < file.records.records.size() && errors.size() < 20; ++i) {
      const traces::KernelRecord& r = file.records.records[i];
      models::OpKind kind = models::OpKind::kGemm;
      const Tagged tagged = op_kind_of(r.tags, &kind);
      if (tagged == Tagged::kNothing) {
        ++result.records_skipped;
        continue;
      }
      if (tagged == Tagged::kUnknownOp) {
        errors.push_back(bad_input(file.path + ": records[" + std::to_string(i) + "]: tag op_kind is \"" +
                                   r.tags.at("op_kind") +
                                   "\", expected gemm, grouped_gemm, attention, mla_decode, norm or elementwise"));
        continue;
      }
      Key key;
      const std::string problem = read_key(r.tags, kind, &key);
      if (!problem.empty()) {
        errors.push_back(bad_input(file.path + ": records[" + std::to_string(i) + "]: " + problem));
        continue;
      }
      const std::string* rep = tag(r.tags, "rep");
      const std::string rep_id = rep ? file.path + "#" + *rep : file.path + "@" + std::to_string(i);
      reps[key][rep_id] += static_cast<double>(r.duration_ns());
      ++names[key][r.name];
      ++result.records_used;
    }
  }
  if (!errors.empty()) return errors;
  if (reps.empty()) {
    return bad_input("no record carries op tags (op_kind, dtype and shape, see traces/calibration/README.md); " +
                     std::to_string(result.records_skipped) + " records skipped");
  }
  result.table.provenance = provenance;
  for (const auto& [key, by_rep] : reps) {
    std::vector<double> us;
    for (const auto& [id, ns] : by_rep) us.push_back(ns / 1e3);
    traces::CalibrationEntry e;
    e.op = key.kind;
    e.dtype = key.dtype;
    e.shape = key.shape;
    e.median_us = percentile(us, 0.5);
    e.repetitions = static_cast<int64_t>(us.size());
    e.spread_us = (percentile(us, 0.9) - percentile(us, 0.1)) / 2.0;
    const auto& counts = names[key];
    e.kernel = std::max_element(counts.begin(), counts.end(),
                                [](const auto& a, const auto& b) { return a.second < b.second; })->first;
    if (e.median_us <= 0) {
      return bad_input("records for " + models::op_kind_name(e.op) + " have zero duration; cannot calibrate");
    }
    result.table.entries.push_back(std::move(e));
  }
  return result;
}

}  // namespace moesim::profiler
