#include "traces/kernel_record_io.hpp"

#include <cstdint>
#include <sstream>

#include "traces/json_fields.hpp"

namespace moesim::traces {

namespace {

using detail::json;
using detail::ObjectReader;

json string_map(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

json record_to_json(const KernelRecord& r) {
  json j;
  j["kind"] = activity_kind_name(r.kind);
  j["name"] = r.name;
  j["start_ns"] = r.start_ns;
  j["end_ns"] = r.end_ns;
  j["device"] = r.device;
  j["stream"] = r.stream;
  j["correlation_id"] = r.correlation_id;
  j["grid"] = {r.grid[0], r.grid[1], r.grid[2]};
  j["block"] = {r.block[0], r.block[1], r.block[2]};
  j["bytes"] = r.bytes;
  j["tags"] = string_map(r.tags);
  return j;
}

void read_dims(ObjectReader& reader, const std::string& key, int out[3]) {
  const json* dims = reader.array(key, false);
  if (dims == nullptr) return;
  if (dims->size() != 3) return reader.error(key, "found " + std::to_string(dims->size()) + " values, expected 3");
  for (int i = 0; i < 3; ++i) {
    const json& d = (*dims)[static_cast<size_t>(i)];
    if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > (1LL << 31) - 1) {
      return reader.error(key, "found " + detail::describe(d) + ", expected a non-negative integer");
    }
    out[i] = static_cast<int>(d.get<int64_t>());
  }
}

void read_string_map(ObjectReader& reader, const std::string& key, std::map<std::string, std::string>* out) {
  const json* m = reader.object(key, false);
  if (m == nullptr) return;
  for (auto it = m->begin(); it != m->end(); ++it) {
    if (!it->is_string()) {
      reader.error(key + "." + it.key(), "found " + detail::describe(*it) + ", expected a string");
      continue;
    }
    (*out)[it.key()] = it->get<std::string>();
  }
}

KernelRecord read_record(const json& node, const std::string& path, const std::string& file,
                         std::vector<Error>* errors) {
  KernelRecord r;
  ObjectReader reader(node, path, file, errors);
  std::string kind = "kernel";
  reader.optional_string("kind", &kind);
  if (kind == "memcpy") r.kind = ActivityKind::kMemcpy;
  else if (kind == "memset") r.kind = ActivityKind::kMemset;
  else if (kind != "kernel") reader.error("kind", "found \"" + kind + "\", expected kernel, memcpy or memset");
  reader.required_string("name", &r.name);
  reader.required_int("start_ns", &r.start_ns, INT64_MIN);
  reader.required_int("end_ns", &r.end_ns, INT64_MIN);
  int64_t device = 0;
  reader.optional_int("device", &device, 0);
  r.device = static_cast<int>(device);
  reader.optional_int("stream", &r.stream, 0);
  reader.optional_int("correlation_id", &r.correlation_id, 0);
  read_dims(reader, "grid", r.grid);
  read_dims(reader, "block", r.block);
  reader.optional_int("bytes", &r.bytes, 0);
  read_string_map(reader, "tags", &r.tags);
  reader.finish();
  if (reader.ok() && r.end_ns < r.start_ns) {
    reader.error("end_ns", "found " + std::to_string(r.end_ns) + ", expected >= start_ns " + std::to_string(r.start_ns));
  }
  return r;
}

}  // namespace

std::string activity_kind_name(ActivityKind kind) {
  switch (kind) {
    case ActivityKind::kKernel: return "kernel";
    case ActivityKind::kMemcpy: return "memcpy";
    case ActivityKind::kMemset: return "memset";
  }
  return "kernel";
}

KernelRecordWriter::KernelRecordWriter(std::ostream& out, const std::string& source) : out_(out) {
  json header;
  header["format"] = kKernelRecordsFormat;
  header["schema_version"] = kKernelRecordsSchemaVersion;
  header["source"] = source;
  std::string head = header.dump();
  head.pop_back();  // reopen the object to append the records array
  out_ << head << ",\"records\":[";
}

void KernelRecordWriter::add(const KernelRecord& record) {
  out_ << (count_ == 0 ? "\n" : ",\n") << record_to_json(record).dump();
  ++count_;
}

void KernelRecordWriter::finish(const std::map<std::string, std::string>& provenance) {
  out_ << "\n],\n\"provenance\":" << string_map(provenance).dump() << "}\n";
}

void write_kernel_records(const KernelRecordSet& set, std::ostream& out) {
  KernelRecordWriter writer(out, set.source);
  for (const KernelRecord& r : set.records) writer.add(r);
  writer.finish(set.provenance);
}

std::string kernel_records_to_json(const KernelRecordSet& set) {
  std::ostringstream s;
  write_kernel_records(set, s);
  return s.str();
}

Result<KernelRecordSet> parse_kernel_records(const std::string& text, const std::string& file) {
  std::vector<Error> errors;
  json doc;
  if (!detail::parse_json_document(text, file, &doc, &errors)) return errors;
  if (!detail::check_header(doc, file, kKernelRecordsFormat, kKernelRecordsSchemaVersion, &errors)) return errors;
  KernelRecordSet set;
  ObjectReader top(doc, "", file, &errors);
  top.allow("format");
  top.allow("schema_version");
  top.optional_string("source", &set.source);
  read_string_map(top, "provenance", &set.provenance);
  const json* records = top.array("records", true);
  top.finish();
  if (records != nullptr) {
    set.records.reserve(records->size());
    for (size_t i = 0; i < records->size() && errors.size() < 20; ++i) {
      set.records.push_back(read_record((*records)[i], "records[" + std::to_string(i) + "]", file, &errors));
    }
  }
  if (!errors.empty()) return errors;
  return set;
}

Result<KernelRecordSet> read_kernel_records(const std::string& path) {
  std::vector<Error> errors;
  std::string text;
  if (!detail::read_text_file(path, &text, &errors)) return errors;
  return parse_kernel_records(text, path);
}

}  // namespace moesim::traces
