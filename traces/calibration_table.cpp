#include "traces/calibration_table.hpp"

#include "traces/embedded_calibration.hpp"
#include "traces/json_fields.hpp"

namespace moesim::traces {

namespace {

using detail::json;
using detail::ObjectReader;

const models::OpKind kAllKinds[] = {
    models::OpKind::kGemm,      models::OpKind::kGroupedGemm, models::OpKind::kAttention,
    models::OpKind::kMlaDecode, models::OpKind::kGqaDecode,   models::OpKind::kNorm,
    models::OpKind::kRouter,    models::OpKind::kElementwise, models::OpKind::kEmbedding,
};

json provenance_to_json(const CalibrationProvenance& p) {
  json j;
  j["gpu"] = p.gpu;
  j["gpu_name"] = p.gpu_name;
  j["gpu_family"] = p.gpu_family;
  j["sm_count"] = p.sm_count;
  j["sm_clock_mhz"] = p.sm_clock_mhz;
  j["memory_clock_mhz"] = p.memory_clock_mhz;
  j["driver"] = p.driver;
  j["cuda"] = p.cuda;
  j["tool"] = p.tool;
  j["tool_version"] = p.tool_version;
  j["date"] = p.date;
  j["notes"] = p.notes;
  return j;
}

CalibrationProvenance read_provenance(const json& node, const std::string& file, std::vector<Error>* errors) {
  CalibrationProvenance p;
  ObjectReader r(node, "provenance", file, errors);
  r.required_string("gpu", &p.gpu);
  r.required_string("gpu_family", &p.gpu_family);
  r.optional_string("gpu_name", &p.gpu_name);
  r.optional_int("sm_count", &p.sm_count, 0);
  r.optional_number("sm_clock_mhz", &p.sm_clock_mhz, 0);
  r.optional_number("memory_clock_mhz", &p.memory_clock_mhz, 0);
  r.optional_string("driver", &p.driver);
  r.optional_string("cuda", &p.cuda);
  r.required_string("tool", &p.tool);
  r.optional_string("tool_version", &p.tool_version);
  r.required_string("date", &p.date);
  r.optional_string("notes", &p.notes);
  r.finish();
  if (r.ok() && p.gpu.empty()) r.error("gpu", "is empty, expected a catalog GPU name such as \"h200\"");
  return p;
}

void read_shape(ObjectReader& entry, models::OpKind op, std::map<std::string, int64_t>* shape) {
  const json* node = entry.object("shape", true);
  if (node == nullptr) return;
  const std::vector<ShapeKey>& keys = calibration_shape_keys(op);
  if (keys.empty()) return entry.error("op", "\"" + models::op_kind_name(op) + "\" cannot be calibrated yet");
  for (const ShapeKey& k : keys) {
    auto it = node->find(k.name);
    if (it == node->end()) {
      if (k.required) entry.error(std::string("shape.") + k.name, "missing, expected an integer");
      else (*shape)[k.name] = k.default_value;
      continue;
    }
    int64_t value = 0;
    if (it->is_boolean()) value = it->get<bool>() ? 1 : 0;
    else if (it->is_number_integer()) value = it->get<int64_t>();
    else {
      entry.error(std::string("shape.") + k.name, "found " + detail::describe(*it) + ", expected an integer");
      continue;
    }
    if (value < k.min_value) {
      entry.error(std::string("shape.") + k.name,
                  "found " + std::to_string(value) + ", expected >= " + std::to_string(k.min_value));
      continue;
    }
    (*shape)[k.name] = value;
  }
  for (auto it = node->begin(); it != node->end(); ++it) {
    bool known = false;
    for (const ShapeKey& k : keys) known = known || it.key() == k.name;
    if (!known) entry.error("shape." + it.key(), "unknown key for op \"" + models::op_kind_name(op) + "\"");
  }
}

CalibrationEntry read_entry(const json& node, const std::string& path, const std::string& file,
                            std::vector<Error>* errors) {
  CalibrationEntry e;
  ObjectReader r(node, path, file, errors);
  std::string op, dtype;
  r.required_string("op", &op);
  r.required_string("dtype", &dtype);
  const size_t before = errors->size();
  if (!op.empty() && !parse_op_kind(op, &e.op)) r.error("op", "found \"" + op + "\", expected gemm, grouped_gemm, attention, mla_decode, norm or elementwise");
  if (!dtype.empty()) {
    auto d = models::parse_dtype(dtype);
    if (d) e.dtype = *d;
    else r.error("dtype", "found \"" + dtype + "\", expected bf16, fp16, fp8, fp4, int4 or fp32");
  }
  if (errors->size() == before && !op.empty()) read_shape(r, e.op, &e.shape);
  else r.allow("shape");
  r.required_number("median_us", &e.median_us, 0);
  if (r.ok() && e.median_us <= 0 && node.contains("median_us")) r.error("median_us", "found 0, expected a time > 0");
  r.optional_int("repetitions", &e.repetitions, 1);
  r.optional_number("spread_us", &e.spread_us, 0);
  r.optional_string("kernel", &e.kernel);
  r.finish();
  return e;
}

}  // namespace

const std::vector<ShapeKey>& calibration_shape_keys(models::OpKind op) {
  static const std::vector<ShapeKey> kGemm = {{"m", true, 0, 1}, {"n", true, 0, 1}, {"k", true, 0, 1}};
  static const std::vector<ShapeKey> kGrouped = {
      {"groups", true, 0, 1}, {"m", true, 0, 1}, {"n", true, 0, 1}, {"k", true, 0, 1}};
  static const std::vector<ShapeKey> kAttention = {{"batch", false, 1, 1},  {"tokens", true, 0, 1},
                                                   {"heads", true, 0, 1},   {"qk_dim", true, 0, 1},
                                                   {"v_dim", true, 0, 1},   {"causal", false, 1, 0}};
  static const std::vector<ShapeKey> kMla = {{"batch", true, 0, 1}, {"heads", true, 0, 1}, {"context", true, 0, 1}};
  static const std::vector<ShapeKey> kMemory = {{"elements", true, 0, 1}};
  static const std::vector<ShapeKey> kNone = {};
  switch (op) {
    case models::OpKind::kGemm: return kGemm;
    case models::OpKind::kGroupedGemm: return kGrouped;
    case models::OpKind::kAttention: return kAttention;
    case models::OpKind::kMlaDecode: return kMla;
    case models::OpKind::kNorm:
    case models::OpKind::kElementwise: return kMemory;
    default: return kNone;
  }
}

bool parse_op_kind(const std::string& name, models::OpKind* out) {
  for (models::OpKind k : kAllKinds) {
    if (models::op_kind_name(k) == name) {
      *out = k;
      return true;
    }
  }
  return false;
}

std::string calibration_to_json(const CalibrationTable& table) {
  json doc;
  doc["format"] = kCalibrationFormat;
  doc["schema_version"] = kCalibrationSchemaVersion;
  doc["provenance"] = provenance_to_json(table.provenance);
  json entries = json::array();
  for (const CalibrationEntry& e : table.entries) {
    json j;
    j["op"] = models::op_kind_name(e.op);
    j["dtype"] = std::string(models::to_string(e.dtype));
    j["shape"] = json::object();
    for (const auto& [k, v] : e.shape) j["shape"][k] = v;
    j["median_us"] = e.median_us;
    j["repetitions"] = e.repetitions;
    j["spread_us"] = e.spread_us;
    if (!e.kernel.empty()) j["kernel"] = e.kernel;
    entries.push_back(std::move(j));
  }
  doc["entries"] = std::move(entries);
  return doc.dump(1) + "\n";
}

Result<CalibrationTable> parse_calibration(const std::string& text, const std::string& file) {
  std::vector<Error> errors;
  json doc;
  if (!detail::parse_json_document(text, file, &doc, &errors)) return errors;
  if (!detail::check_header(doc, file, kCalibrationFormat, kCalibrationSchemaVersion, &errors)) return errors;
  CalibrationTable table;
  ObjectReader top(doc, "", file, &errors);
  top.allow("format");
  top.allow("schema_version");
  const json* prov = top.object("provenance", true);
  const json* entries = top.array("entries", true);
  top.finish();
  if (prov != nullptr) table.provenance = read_provenance(*prov, file, &errors);
  if (entries != nullptr) {
    for (size_t i = 0; i < entries->size() && errors.size() < 20; ++i) {
      table.entries.push_back(read_entry((*entries)[i], "entries[" + std::to_string(i) + "]", file, &errors));
    }
  }
  if (!errors.empty()) return errors;
  return table;
}

Result<CalibrationTable> read_calibration(const std::string& path) {
  std::vector<Error> errors;
  std::string text;
  if (!detail::read_text_file(path, &text, &errors)) return errors;
  return parse_calibration(text, path);
}

bool is_kernel_calibration(const std::string& text) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  auto f = doc.find("format");
  return f != doc.end() && f->is_string() && f->get<std::string>() == kCalibrationFormat;
}

Result<std::vector<CalibrationTable>> embedded_calibration_tables() {
  std::vector<CalibrationTable> tables;
  std::vector<Error> errors;
  for (const EmbeddedFile& f : embedded_calibration_files()) {
    if (!is_kernel_calibration(f.text)) continue;
    Result<CalibrationTable> t = parse_calibration(f.text, std::string("traces/") + f.path);
    if (t.ok()) tables.push_back(std::move(t).value());
    else errors.insert(errors.end(), t.errors().begin(), t.errors().end());
  }
  if (!errors.empty()) return errors;
  return tables;
}

}  // namespace moesim::traces
