// `moesim trace summarize FILE` and `moesim trace import FILE --out records.json`: PyTorch-profiler
// (Kineto) Chrome traces, streamed, summarised or converted to moesim's kernel-record file.
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "cli/spec_json.hpp"
#include "traces/chrome_trace_reader.hpp"
#include "traces/kernel_record_io.hpp"
#include "traces/op_class.hpp"
#include "traces/trace_summary.hpp"

namespace moesim::cli {

namespace {

double us(int64_t ns) { return static_cast<double>(ns) / 1e3; }

nlohmann::json devices_json(const std::vector<traces::TraceDeviceRecord>& devices) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : devices) {
    out.push_back({{"id", d.id}, {"name", d.name}, {"sm_count", d.sm_count}, {"memory_bytes", d.memory_bytes},
                   {"compute_capability", std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor)}});
  }
  return out;
}

nlohmann::json summary_json(const traces::TraceSummary& s) {
  nlohmann::json streams = nlohmann::json::array();
  for (const auto& st : s.streams) {
    streams.push_back({{"device", st.device}, {"id", st.stream}, {"busy_us", us(st.busy_ns)}, {"kernels", st.kernels}});
  }
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& c : s.op_classes) {
    classes.push_back({{"class", traces::op_class_name(c.op_class)},
                       {"communication", traces::is_communication(c.op_class)},
                       {"count", c.count},
                       {"total_us", us(c.total_ns)}});
  }
  nlohmann::json annotations = nlohmann::json::array();
  for (const auto& a : s.annotations) {
    annotations.push_back({{"name", a.name}, {"count", a.count}, {"total_us", us(a.total_ns)}});
  }
  return {{"schema_version", kSchemaVersion},
          {"source", s.source},
          {"kernels", s.kernels},
          {"memcpys", s.memcpys},
          {"memsets", s.memsets},
          {"cpu_ops", s.cpu_ops},
          {"span_us", us(s.span_ns)},
          {"streams", streams},
          {"compute_busy_us", us(s.compute_busy_ns)},
          {"comm_busy_us", us(s.comm_busy_ns)},
          {"compute_comm_overlap_us", us(s.compute_comm_overlap_ns)},
          {"op_classes", classes},
          {"annotations", annotations},
          {"devices", devices_json(s.devices)}};
}

void print_summary(const traces::TraceSummary& s) {
  std::printf("%s\n", s.source.c_str());
  std::printf("kernels %lld, memcpy %lld, memset %lld, cpu ops %lld, span %.3f us\n\n",
              static_cast<long long>(s.kernels), static_cast<long long>(s.memcpys),
              static_cast<long long>(s.memsets), static_cast<long long>(s.cpu_ops), us(s.span_ns));
  std::printf("%-7s %-8s %8s %14s\n", "DEVICE", "STREAM", "KERNELS", "BUSY us");
  for (const auto& st : s.streams) {
    std::printf("%-7d %-8lld %8lld %14.3f\n", st.device, static_cast<long long>(st.stream),
                static_cast<long long>(st.kernels), us(st.busy_ns));
  }
  std::printf("\ncompute busy %.3f us, communication busy %.3f us, overlap %.3f us\n\n", us(s.compute_busy_ns),
              us(s.comm_busy_ns), us(s.compute_comm_overlap_ns));
  std::printf("%-22s %8s %14s\n", "OP CLASS", "COUNT", "TOTAL us");
  for (const auto& c : s.op_classes) {
    std::printf("%-22s %8lld %14.3f\n", traces::op_class_name(c.op_class).c_str(), static_cast<long long>(c.count),
                us(c.total_ns));
  }
  if (!s.annotations.empty()) {
    std::printf("\n%-40s %8s %14s\n", "USER ANNOTATION", "COUNT", "TOTAL us");
    for (const auto& a : s.annotations) {
      std::printf("%-40s %8lld %14.3f\n", a.name.c_str(), static_cast<long long>(a.count), us(a.total_ns));
    }
  }
}

int run_summarize(const std::string& file, bool json) {
  Result<traces::TraceSummary> s = traces::summarize_chrome_trace(file);
  if (!s.ok()) return report_errors(s.errors());
  if (json) print_json(summary_json(s.value()));
  else print_summary(s.value());
  return 0;
}

// Records go straight from the parser to a temporary file (renamed into place at the end), so
// memory stays flat however large the trace.
int run_import(const std::string& file, const std::string& out, bool json) {
  const std::string tmp = out + ".moesim-tmp";
  std::ofstream stream(tmp, std::ios::binary | std::ios::trunc);
  if (!stream) return report_errors({bad_input("cannot write " + out + ": the directory does not exist or is not writable")});
  traces::KernelRecordWriter writer(stream, file);
  traces::ChromeTraceCallbacks cb;
  cb.on_activity = [&writer](traces::KernelRecord&& r) {
    r.tags["op_class"] = traces::op_class_name(traces::classify_kernel(r.name, r.kind));
    writer.add(r);
  };
  Result<traces::ChromeTraceInfo> info = traces::read_chrome_trace(file, cb);
  if (!info.ok()) {
    stream.close();
    std::remove(tmp.c_str());
    return report_errors(info.errors());
  }
  std::map<std::string, std::string> provenance = {{"tool", "moesim trace import"}};
  if (!info.value().devices.empty()) {
    provenance["gpu_name"] = info.value().devices.front().name;
    provenance["sm_count"] = std::to_string(info.value().devices.front().sm_count);
  }
  writer.finish(provenance);
  stream.close();
  if (!stream || std::rename(tmp.c_str(), out.c_str()) != 0) {
    std::remove(tmp.c_str());
    return report_errors({bad_input("cannot write " + out + ": write or rename failed (disk full?)")});
  }
  const auto& i = info.value();
  const int64_t records = writer.count();
  if (json) {
    print_json({{"schema_version", kSchemaVersion}, {"source", file}, {"out", out},
                {"format", traces::kKernelRecordsFormat}, {"records", records},
                {"kernels", i.kernels}, {"memcpys", i.memcpys}, {"memsets", i.memsets}});
  } else {
    std::printf("wrote %lld records (%lld kernels, %lld memcpy, %lld memset) from %s to %s\n",
                static_cast<long long>(records),
                static_cast<long long>(i.kernels), static_cast<long long>(i.memcpys),
                static_cast<long long>(i.memsets), file.c_str(), out.c_str());
  }
  return 0;
}

}  // namespace

void add_trace_commands(CLI::App& app, CommandRunner& runner) {
  CLI::App* trace = app.add_subcommand("trace", "Import and summarise PyTorch-profiler (Kineto) Chrome traces");
  trace->require_subcommand(1);

  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);

  CLI::App* summarize = trace->add_subcommand(
      "summarize", "Kernels, per-stream busy time, compute/communication overlap, time per op class and annotation");
  summarize->add_option("file", *file, "Chrome trace JSON written by torch.profiler")->required();
  summarize->add_flag("--json", *json, "Print one JSON document instead of tables");
  runner.on(summarize, [file, json] { return run_summarize(*file, *json); });

  CLI::App* import = trace->add_subcommand("import", "Convert a Chrome trace to moesim kernel records");
  import->add_option("file", *file, "Chrome trace JSON written by torch.profiler")->required();
  import->add_option("--out", *out, "Kernel-record JSON to write")->required();
  import->add_flag("--json", *json, "Print one JSON document");
  runner.on(import, [file, out, json] { return run_import(*file, *out, *json); });
}

}  // namespace moesim::cli
