#include "traces/chrome_trace_reader.hpp"

#include <nlohmann/json.hpp>


#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>

namespace moesim::traces {

namespace {

using json = nlohmann::json;

constexpr int64_t kMaxMicroseconds = 9000000000000000LL;  // keeps nanoseconds inside int64

// The fields of one traceEvents entry that matter to us, filled as the parser walks it.
struct EventState {
  std::string ph, cat, name;
  bool has_ts = false, has_dur = false, has_stream = false, has_device = false, has_pid = false;
  int64_t ts_ns = 0, dur_ns = 0, pid = 0, tid = 0;
  KernelRecord record;
  std::string field_error;  // first problem found inside the event, reported when it closes
};

// Which field of the current event (or of its args) a value belongs to.
enum class Field {
  kNone, kPh, kCat, kName, kTs, kDur, kPid, kTid, kArgs,
  kArgDevice, kArgStream, kArgCorrelation, kArgExternalId, kArgGrid, kArgBlock, kArgBytes,
};

Field event_field(const std::string& key) {
  switch (key.size()) {
    case 2:
      if (key == "ph") return Field::kPh;
      if (key == "ts") return Field::kTs;
      break;
    case 3:
      if (key == "cat") return Field::kCat;
      if (key == "dur") return Field::kDur;
      if (key == "pid") return Field::kPid;
      if (key == "tid") return Field::kTid;
      break;
    case 4:
      if (key == "name") return Field::kName;
      if (key == "args") return Field::kArgs;
      break;
    default: break;
  }
  return Field::kNone;
}

Field arg_field(const std::string& key) {
  if (key == "stream") return Field::kArgStream;
  if (key == "device") return Field::kArgDevice;
  if (key == "correlation") return Field::kArgCorrelation;
  if (key == "External id") return Field::kArgExternalId;
  if (key == "grid") return Field::kArgGrid;
  if (key == "block") return Field::kArgBlock;
  if (key == "bytes") return Field::kArgBytes;
  return Field::kNone;
}

const char* field_label(Field f) {
  switch (f) {
    case Field::kPh: return "ph";
    case Field::kCat: return "cat";
    case Field::kName: return "name";
    case Field::kTs: return "ts";
    case Field::kDur: return "dur";
    case Field::kPid: return "pid";
    case Field::kTid: return "tid";
    case Field::kArgs: return "args";
    case Field::kArgDevice: return "args.device";
    case Field::kArgStream: return "args.stream";
    case Field::kArgCorrelation: return "args.correlation";
    case Field::kArgExternalId: return "args.External id";
    case Field::kArgGrid: return "args.grid";
    case Field::kArgBlock: return "args.block";
    case Field::kArgBytes: return "args.bytes";
    case Field::kNone: break;
  }
  return "?";
}

// SAX handler: tracks container depth, routes values of traceEvents[*] and deviceProperties[*] into
// EventState / TraceDeviceRecord, ignores everything else. Returning false stops the parse.
class TraceSax {
 public:
  TraceSax(std::string display, const ChromeTraceCallbacks& cb) : display_(std::move(display)), cb_(cb) {}

  ChromeTraceInfo info;
  std::string error;  // set on the first semantic error
  bool saw_events = false;

  bool null() { return scalar_value(nullptr, "null"); }
  bool boolean(bool v) { return scalar_value(nullptr, v ? "true" : "false"); }
  bool number_integer(json::number_integer_t v) { return integer_value(static_cast<int64_t>(v), nullptr); }
  bool number_unsigned(json::number_unsigned_t v) {
    return integer_value(static_cast<int64_t>(v), nullptr);
  }
  bool number_float(json::number_float_t v, const std::string& text) {
    return integer_value(static_cast<int64_t>(std::llround(v)), &text);
  }
  bool string(std::string& v) { return string_value(v); }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return open(false); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(true); }
  bool end_array() { return close(); }
  bool key(std::string& k) { return on_key(k); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    std::string what = ex.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix; keep its line/column text.
    const size_t bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    error = display_ + ": not valid JSON (truncated or malformed) at byte " + std::to_string(position) +
            ": " + what;
    return false;
  }

 private:
  enum class Top { kNone, kEvents, kDevices, kOther };

  bool in_event() const { return top_ == Top::kEvents && depth_ >= events_depth_ + 1; }
  int event_depth() const { return events_depth_ + 1; }

  bool open(bool is_array) {
    if (depth_ == 0) {
      if (is_array) {  // Chrome's "JSON Array Format": the root is the event list itself
        top_ = Top::kEvents;
        events_depth_ = 1;
        saw_events = true;
      }
    } else if (depth_ == 1 && events_depth_ != 1 && (top_ == Top::kEvents || top_ == Top::kDevices)) {
      if (!is_array) {
        error = display_ + ": '" + (top_ == Top::kEvents ? "traceEvents" : "deviceProperties") +
                "' is an object, expected an array";
        return false;
      }
      events_depth_ = 2;
      if (top_ == Top::kEvents) saw_events = true;
    } else if (top_ == Top::kEvents && depth_ == event_depth() - 1) {
      if (is_array) return fail_event_container("an array");
      event_ = EventState{};
    } else if (top_ == Top::kEvents && depth_ == event_depth() && field_ == Field::kArgs && !is_array) {
      in_args_ = true;
    } else if (in_args_ && depth_ == event_depth() + 1 &&
               (arg_ == Field::kArgGrid || arg_ == Field::kArgBlock)) {
      if (!is_array) note_field_error(arg_, "an object", "an array of 3 integers");
      dim_index_ = 0;
      in_dims_ = is_array;
    } else if (top_ == Top::kDevices && depth_ == 2) {
      device_ = TraceDeviceRecord{};
    } else if (depth_ == event_depth() && top_ == Top::kEvents && field_ != Field::kNone &&
               field_ != Field::kArgs) {
      note_field_error(field_, is_array ? "an array" : "an object", expected_of(field_));
    } else if (in_args_ && depth_ == event_depth() + 1 && arg_ != Field::kNone) {
      note_field_error(arg_, is_array ? "an array" : "an object", expected_of(arg_));
    }
    ++depth_;
    return true;
  }

  bool close() {
    --depth_;
    if (top_ == Top::kEvents && depth_ == event_depth() - 1) return finish_event();
    if (in_dims_ && depth_ == event_depth() + 1) in_dims_ = false;
    if (in_args_ && depth_ == event_depth()) in_args_ = false;
    if (top_ == Top::kDevices && depth_ == 2) info.devices.push_back(device_);
    if (depth_ == 1) top_ = Top::kNone;
    if (depth_ == 0 && top_ == Top::kEvents) top_ = Top::kNone;
    return true;
  }

  bool on_key(const std::string& k) {
    if (depth_ == 1 && events_depth_ != 1) {
      top_ = k == "traceEvents" ? Top::kEvents : k == "deviceProperties" ? Top::kDevices : Top::kOther;
    } else if (top_ == Top::kEvents && depth_ == event_depth()) {
      field_ = event_field(k);
    } else if (in_args_ && depth_ == event_depth() + 1) {
      arg_ = arg_field(k);
    } else if (top_ == Top::kDevices && depth_ == 3) {
      device_key_ = k;
    }
    return true;
  }

  static const char* expected_of(Field f) {
    switch (f) {
      case Field::kPh: case Field::kCat: case Field::kName: return "a string";
      case Field::kTs: case Field::kDur: return "a number of microseconds";
      case Field::kArgs: return "an object";
      case Field::kArgGrid: case Field::kArgBlock: return "an array of 3 integers";
      default: return "an integer";
    }
  }

  void note_field_error(Field f, const std::string& found, const std::string& expected) {
    if (event_.field_error.empty()) {
      event_.field_error = std::string("field '") + field_label(f) + "' is " + found + ", expected " + expected;
    }
  }

  bool fail_event_container(const std::string& found) {
    error = display_ + ": traceEvents[" + std::to_string(info.events) + "] is " + found +
            ", expected an event object";
    return false;
  }

  // Which field (event-level or args-level) the value at the current depth belongs to.
  Field current_field() const {
    if (!in_event()) return Field::kNone;
    if (depth_ == event_depth()) return field_ == Field::kArgs ? Field::kNone : field_;
    if (in_args_ && depth_ == event_depth() + 1) return arg_;
    return Field::kNone;
  }

  bool scalar_value(const std::string*, const char* literal) {
    if (top_ == Top::kEvents && depth_ == event_depth() - 1) return fail_event_container(literal);
    if (in_dims_ && depth_ == event_depth() + 2) {
      note_field_error(arg_, std::string("an array holding ") + literal, expected_of(arg_));
      return true;
    }
    const Field f = current_field();
    if (f != Field::kNone) note_field_error(f, literal, expected_of(f));
    return true;
  }

  bool integer_value(int64_t v, const std::string* float_text) {
    if (top_ == Top::kEvents && depth_ == event_depth() - 1) return fail_event_container("a number");
    if (top_ == Top::kDevices && depth_ == 3) return device_number(v);
    if (in_dims_ && depth_ == event_depth() + 2) {
      if (dim_index_ < 3) (arg_ == Field::kArgGrid ? event_.record.grid : event_.record.block)[dim_index_] =
          static_cast<int>(v);
      ++dim_index_;
      return true;
    }
    const Field f = current_field();
    if (f == Field::kNone) return true;
    if (f == Field::kTs || f == Field::kDur) {
      if (float_text == nullptr && (v > kMaxMicroseconds || v < -kMaxMicroseconds)) {
        note_field_error(f, std::to_string(v), "a timestamp below 9e15 microseconds");
        return true;
      }
      int64_t ns = float_text == nullptr ? v * 1000 : 0;
      if (float_text != nullptr && !parse_microseconds_as_ns(*float_text, &ns)) {
        note_field_error(f, "'" + *float_text + "'", expected_of(f));
        return true;
      }
      (f == Field::kTs ? event_.ts_ns : event_.dur_ns) = ns;
      (f == Field::kTs ? event_.has_ts : event_.has_dur) = true;
      return true;
    }
    if (float_text != nullptr && f != Field::kArgBytes) {
      note_field_error(f, "'" + *float_text + "'", expected_of(f));
      return true;
    }
    store_integer(f, v);
    return true;
  }

  void store_integer(Field f, int64_t v) {
    KernelRecord& r = event_.record;
    switch (f) {
      case Field::kPid: event_.pid = v; event_.has_pid = true; break;
      case Field::kTid: event_.tid = v; break;
      case Field::kArgDevice: r.device = static_cast<int>(v); event_.has_device = true; break;
      case Field::kArgStream: r.stream = v; event_.has_stream = true; break;
      case Field::kArgCorrelation: r.correlation_id = v; break;
      case Field::kArgExternalId: r.tags["external_id"] = std::to_string(v); break;
      case Field::kArgBytes: r.bytes = v; break;
      default: note_field_error(f, "a number", expected_of(f)); break;
    }
  }

  bool string_value(std::string& v) {
    if (top_ == Top::kEvents && depth_ == event_depth() - 1) return fail_event_container("a string");
    if (top_ == Top::kDevices && depth_ == 3) {
      if (device_key_ == "name") device_.name = v;
      return true;
    }
    if (in_dims_ && depth_ == event_depth() + 2) {
      note_field_error(arg_, "an array holding a string", expected_of(arg_));
      return true;
    }
    const Field f = current_field();
    switch (f) {
      case Field::kNone: break;
      case Field::kPh: event_.ph = v; break;
      case Field::kCat: event_.cat = v; break;
      case Field::kName: event_.name = std::move(v); break;
      case Field::kPid: case Field::kTid: break;  // Kineto labels some CPU rows with strings
      default: note_field_error(f, "\"" + v + "\"", expected_of(f)); break;
    }
    return true;
  }

  bool device_number(int64_t v) {
    if (device_key_ == "id") device_.id = v;
    else if (device_key_ == "numSms") device_.sm_count = v;
    else if (device_key_ == "totalGlobalMem") device_.memory_bytes = v;
    else if (device_key_ == "computeMajor") device_.compute_major = v;
    else if (device_key_ == "computeMinor") device_.compute_minor = v;
    return true;
  }

  std::string where() const {
    return display_ + ": traceEvents[" + std::to_string(info.events) + "]" +
           (event_.name.empty() ? std::string() : " (name '" + event_.name + "')");
  }

  // Categories as current Kineto writes them, plus the capitalised names of PyTorch 1.8-1.10.
  static bool gpu_kind(const std::string& cat, ActivityKind* out) {
    if (cat == "kernel" || cat == "Kernel") *out = ActivityKind::kKernel;
    else if (cat == "gpu_memcpy" || cat == "Memcpy") *out = ActivityKind::kMemcpy;
    else if (cat == "gpu_memset" || cat == "Memset") *out = ActivityKind::kMemset;
    else return false;
    return true;
  }

  bool finish_event() {
    EventState& e = event_;
    field_ = Field::kNone;
    ActivityKind kind = ActivityKind::kKernel;
    const bool gpu = gpu_kind(e.cat, &kind);
    const bool annotation = e.cat == "user_annotation";
    if (e.cat == "cpu_op" || e.cat == "Operator") ++info.cpu_ops;
    bool ok = true;
    if (gpu || annotation) ok = check_event(gpu);
    if (ok && gpu) emit_activity(kind);
    if (ok && annotation) emit_annotation();
    ++info.events;
    return ok;
  }

  bool check_event(bool gpu) {
    const EventState& e = event_;
    std::string problem = e.field_error;
    if (problem.empty() && e.ph != "X") {
      problem = "field 'ph' is \"" + e.ph + "\", expected \"X\" (complete events) for category '" + e.cat + "'";
    }
    if (problem.empty() && !e.has_ts) problem = "field 'ts' is missing, expected a number of microseconds";
    if (problem.empty() && !e.has_dur) problem = "field 'dur' is missing, expected a number of microseconds";
    if (problem.empty() && e.dur_ns < 0) {
      problem = "field 'dur' is " + std::to_string(e.dur_ns / 1e3) + ", expected a duration >= 0";
    }
    if (problem.empty() && e.dur_ns > INT64_MAX - std::max<int64_t>(e.ts_ns, 0)) {
      problem = "field 'dur' is " + std::to_string(e.dur_ns / 1000) + " us, which overflows the timeline";
    }
    if (problem.empty() && gpu && !e.has_stream) problem = "field 'args.stream' is missing, expected an integer";
    if (problem.empty()) return true;
    error = where() + ": " + problem;
    return false;
  }

  void emit_activity(ActivityKind kind) {
    EventState& e = event_;
    KernelRecord& r = e.record;
    r.kind = kind;
    if (r.kind == ActivityKind::kKernel) ++info.kernels;
    else if (r.kind == ActivityKind::kMemcpy) ++info.memcpys;
    else ++info.memsets;
    if (!e.has_device && e.has_pid) r.device = static_cast<int>(e.pid);
    r.start_ns = e.ts_ns;
    r.end_ns = e.ts_ns + e.dur_ns;
    r.name = std::move(e.name);
    if (cb_.on_activity) cb_.on_activity(std::move(r));
  }

  void emit_annotation() {
    EventState& e = event_;
    ++info.annotations;
    if (!cb_.on_annotation) return;
    AnnotationRecord a;
    a.name = std::move(e.name);
    a.start_ns = e.ts_ns;
    a.end_ns = e.ts_ns + e.dur_ns;
    a.pid = e.pid;
    a.tid = e.tid;
    cb_.on_annotation(std::move(a));
  }

  std::string display_;
  const ChromeTraceCallbacks& cb_;
  int depth_ = 0;
  int events_depth_ = 2;
  Top top_ = Top::kNone;
  Field field_ = Field::kNone;
  Field arg_ = Field::kNone;
  bool in_args_ = false;
  bool in_dims_ = false;
  int dim_index_ = 0;
  EventState event_;
  TraceDeviceRecord device_;
  std::string device_key_;
};

}  // namespace

bool parse_microseconds_as_ns(const std::string& text, int64_t* out_ns) {
  if (text.empty()) return false;
  if (text.find_first_of("eE") != std::string::npos) {
    char* end = nullptr;
    const double us = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !std::isfinite(us) || std::fabs(us) > 9e15) return false;
    *out_ns = static_cast<int64_t>(std::llround(us * 1000.0));
    return true;
  }
  size_t i = 0;
  const bool negative = text[0] == '-';
  if (negative) ++i;
  int64_t whole = 0;
  size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    if (whole > 900000000000000LL) return false;  // beyond int64 nanoseconds
    whole = whole * 10 + (text[i] - '0');
  }
  if (digits == 0) return false;
  int64_t frac_ns = 0;
  if (i < text.size()) {
    if (text[i] != '.') return false;
    ++i;
    int place = 0;
    bool round_up = false;
    for (; i < text.size(); ++i, ++place) {
      const char c = text[i];
      if (c < '0' || c > '9') return false;
      if (place < 3) frac_ns = frac_ns * 10 + (c - '0');
      else if (place == 3) round_up = c >= '5';
    }
    for (; place < 3; ++place) frac_ns *= 10;
    if (round_up) ++frac_ns;
  }
  const int64_t ns = whole * 1000 + frac_ns;
  *out_ns = negative ? -ns : ns;
  return true;
}

namespace {

// `parse(sax)` runs json::sax_parse over some input with the handler.
template <class Parse>
Result<ChromeTraceInfo> parse_with(Parse parse, const std::string& display_name,
                                   const ChromeTraceCallbacks& callbacks) {
  TraceSax sax(display_name, callbacks);
  const bool ok = parse(&sax);
  if (!ok || !sax.error.empty()) {
    return bad_input(sax.error.empty() ? display_name + ": not valid JSON" : sax.error);
  }
  if (!sax.saw_events) {
    return bad_input(display_name + ": no 'traceEvents' array, expected a Chrome trace as written by "
                     "the PyTorch profiler ({\"traceEvents\": [...]})");
  }
  return std::move(sax.info);
}

}  // namespace

Result<ChromeTraceInfo> read_chrome_trace(std::istream& in, const std::string& display_name,
                                          const ChromeTraceCallbacks& callbacks) {
  return parse_with([&in](TraceSax* sax) { return json::sax_parse(in, sax, json::input_format_t::json, true, false); },
                    display_name, callbacks);
}

Result<ChromeTraceInfo> read_chrome_trace(const std::string& path, const ChromeTraceCallbacks& callbacks) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return bad_input(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) return bad_input(path + ": is a directory, expected a trace file");
  if (std::filesystem::file_size(path, ec) == 0 && !ec) return bad_input(path + ": empty file, expected a Chrome trace");
  // Streamed through a 1 MiB buffer: memory stays flat whatever the file size (a memory map was
  // no faster: nlohmann's lexer, not I/O, sets the pace).
  std::ifstream in;
  auto buffer = std::make_unique<char[]>(1 << 20);
  in.rdbuf()->pubsetbuf(buffer.get(), 1 << 20);
  in.open(path, std::ios::binary);
  if (!in) return bad_input(path + ": cannot open: " + std::strerror(errno));
  Result<ChromeTraceInfo> result = read_chrome_trace(in, path, callbacks);
  if (result.ok()) result.value().bytes_read = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  return result;
}

}  // namespace moesim::traces
