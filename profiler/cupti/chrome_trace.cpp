// See chrome_trace.hpp.
#include "profiler/cupti/chrome_trace.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace moesim::profiler::cupti {
namespace {

using nlohmann::json;
using traces::ActivityKind;
using traces::KernelRecord;

const char* category(ActivityKind kind) {
  switch (kind) {
    case ActivityKind::kKernel: return "kernel";
    case ActivityKind::kMemcpy: return "gpu_memcpy";
    case ActivityKind::kMemset: return "gpu_memset";
  }
  return "kernel";
}

bool kind_from_category(const std::string& cat, ActivityKind* kind) {
  if (cat == "kernel" || cat == "Kernel") *kind = ActivityKind::kKernel;
  else if (cat == "gpu_memcpy" || cat == "Memcpy") *kind = ActivityKind::kMemcpy;
  else if (cat == "gpu_memset" || cat == "Memset") *kind = ActivityKind::kMemset;
  else return false;
  return true;
}

// Nanoseconds as Kineto's microsecond decimal, exactly ("1732000000123456.789"): a double has
// only ~16 significant digits, too few for epoch timestamps in ns.
std::string ns_as_microseconds(int64_t ns) {
  const bool negative = ns < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  std::string frac = std::to_string(magnitude % 1000);
  frac.insert(0, 3 - frac.size(), '0');
  return (negative ? "-" : "") + std::to_string(magnitude / 1000) + "." + frac;
}

json event_args(const KernelRecord& r) {
  // start_ns/dur_ns repeat ts/dur as exact integers for readers that parse numbers as doubles.
  json args = {{"correlation", r.correlation_id}, {"device", r.device}, {"stream", r.stream},
               {"start_ns", r.start_ns}, {"dur_ns", r.end_ns - r.start_ns}};
  if (r.kind == ActivityKind::kKernel) {
    args["grid"] = {r.grid[0], r.grid[1], r.grid[2]};
    args["block"] = {r.block[0], r.block[1], r.block[2]};
  } else {
    args["bytes"] = r.bytes;
  }
  for (const auto& [key, value] : r.tags) args["tag." + key] = value;
  return args;
}

// One "X" event, written by hand so ts/dur keep every nanosecond.
std::string event_text(const KernelRecord& r) {
  return "{\"ph\":\"X\",\"cat\":\"" + std::string(category(r.kind)) + "\",\"name\":" + json(r.name).dump() +
         ",\"pid\":" + std::to_string(r.device) + ",\"tid\":" + std::to_string(r.stream) +
         ",\"ts\":" + ns_as_microseconds(r.start_ns) + ",\"dur\":" + ns_as_microseconds(r.end_ns - r.start_ns) +
         ",\"args\":" + event_args(r).dump() + "}";
}

// Reads one "X" GPU event; false with `why` set when a required field is missing or mistyped.
bool from_event(const json& e, KernelRecord* r, std::string* why) {
  if (!e.contains("ts") || !e["ts"].is_number() || !e.contains("dur") || !e["dur"].is_number()) {
    *why = "needs numeric \"ts\" and \"dur\"";
    return false;
  }
  r->name = e.value("name", std::string());
  const json args = e.value("args", json::object());
  // Exact integers when we wrote the file; Kineto's decimals otherwise (rounded through a double).
  r->start_ns = args.contains("start_ns") ? args["start_ns"].get<int64_t>() : std::llround(e["ts"].get<double>() * 1e3);
  r->end_ns = r->start_ns +
              (args.contains("dur_ns") ? args["dur_ns"].get<int64_t>() : std::llround(e["dur"].get<double>() * 1e3));
  r->device = args.value("device", e.value("pid", 0));
  r->stream = args.value("stream", e.value("tid", int64_t{0}));
  r->correlation_id = args.value("correlation", int64_t{0});
  r->bytes = args.value("bytes", int64_t{0});
  for (int i = 0; i < 3; ++i) {
    if (args.contains("grid") && args["grid"].size() == 3) r->grid[i] = args["grid"][i].get<int>();
    if (args.contains("block") && args["block"].size() == 3) r->block[i] = args["block"][i].get<int>();
  }
  for (const auto& [key, value] : args.items()) {
    if (key.rfind("tag.", 0) == 0 && value.is_string()) r->tags[key.substr(4)] = value.get<std::string>();
  }
  return true;
}

}  // namespace

std::string to_chrome_trace(const traces::KernelRecordSet& set) {
  const json header = {{"schema_version", kChromeTraceSchemaVersion},
                       {"source", set.source},
                       {"provenance", set.provenance}};
  std::string text = "{\"schemaVersion\":" + std::to_string(kChromeTraceSchemaVersion) +
                     ",\"displayTimeUnit\":\"ns\",\n\"moesim\":" + header.dump() + ",\n\"traceEvents\":[";
  for (size_t i = 0; i < set.records.size(); ++i) text += (i ? ",\n" : "\n") + event_text(set.records[i]);
  return text + "\n]}\n";
}

Result<traces::KernelRecordSet> parse_chrome_trace(const std::string& text, const std::string& origin) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return bad_input(origin + ": not a JSON object (expected a Chrome trace)");
  }
  if (!doc.contains("traceEvents") || !doc["traceEvents"].is_array()) {
    return bad_input(origin + ": key traceEvents: missing or not an array (expected a Chrome trace)");
  }
  traces::KernelRecordSet set;
  set.source = origin;
  if (doc.contains("moesim") && doc["moesim"].contains("provenance")) {
    for (const auto& [key, value] : doc["moesim"]["provenance"].items()) {
      if (value.is_string()) set.provenance[key] = value.get<std::string>();
    }
  }
  const json& events = doc["traceEvents"];
  size_t i = 0;
  try {  // nlohmann throws on a mistyped value; that is bad input, not a crash.
  for (; i < events.size(); ++i) {
    const json& e = events[i];
    ActivityKind kind;
    if (!e.is_object() || e.value("ph", "") != "X" || !kind_from_category(e.value("cat", ""), &kind)) {
      continue;
    }
    KernelRecord r;
    r.kind = kind;
    std::string why;
    if (!from_event(e, &r, &why)) {
      return bad_input(origin + ": traceEvents[" + std::to_string(i) + "]: " + why);
    }
    set.records.push_back(std::move(r));
  }
  } catch (const nlohmann::json::exception& e) {
    return bad_input(origin + ": traceEvents[" + std::to_string(i) + "]: " + e.what());
  }
  return set;
}

}  // namespace moesim::profiler::cupti
