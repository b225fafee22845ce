// libmoesim_cupti_inject.so: records any CUDA program's GPU activity when loaded through
//   CUDA_INJECTION64_PATH=/path/libmoesim_cupti_inject.so  program ...
// The CUDA driver calls InitializeInjection() once, when the program first initialises CUDA.
// Environment:
//   MOESIM_PROFILE_OUT    output path of the Chrome trace (default moesim_profile.json); Kineto's
//                         layout, so `moesim trace import` turns it into kernel records
//   MOESIM_PROFILE_KINDS  comma list of kernel, memcpy, memset, all (default all)
//   MOESIM_PROFILE_TAGS   k=v,k=v tags put on every record (e.g. phase=prefill,layer=3)
// Problems are reported on stderr as one "moesim-inject:" line; the program itself always runs on.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#include "profiler/cupti/chrome_trace.hpp"
#include "profiler/cupti/cupti_session.hpp"

namespace {

using moesim::profiler::cupti::CaptureSpec;
using moesim::profiler::cupti::CuptiSession;

std::mutex g_mutex;
std::unique_ptr<CuptiSession> g_session;
std::string g_out_path;
std::map<std::string, std::string> g_tags;

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

void warn(const std::string& message) { std::fprintf(stderr, "moesim-inject: %s\n", message.c_str()); }

std::map<std::string, std::string> parse_tags(const std::string& text) {
  std::map<std::string, std::string> tags;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      if (!item.empty()) warn("MOESIM_PROFILE_TAGS: ignoring '" + item + "' (expected key=value)");
      continue;
    }
    tags[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return tags;
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

// Flushes CUPTI and writes both files. Runs from atexit: CUDA injection offers no other hook at
// program end (there is no "finalize" callback), and by then the program has stopped launching.
// CUPTI still holds its buffers at this point; FlushAll hands them over before the driver unloads.
void write_at_exit() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_session) return;
  auto records = g_session->take_records();
  const auto stats = g_session->stats();
  g_session.reset();
  if (!records.ok()) {
    warn(records.errors()[0].message);
    return;
  }
  moesim::traces::KernelRecordSet set;
  set.source = "moesim_cupti_inject";
  set.provenance = {{"tool", "moesim_cupti_inject"},
                    {"dropped_records", std::to_string(stats.dropped_records)}};
  set.records = std::move(records).value();
  for (auto& r : set.records) r.tags.insert(g_tags.begin(), g_tags.end());
  if (stats.dropped_records > 0) {
    warn(std::to_string(stats.dropped_records) +
         " activity records dropped (CUPTI buffers full): the capture is incomplete");
  }
  if (!write_text(g_out_path, moesim::profiler::cupti::to_chrome_trace(set))) {
    warn("cannot write " + g_out_path);
    return;
  }
  warn("wrote " + std::to_string(set.records.size()) + " activity records to " + g_out_path);
}

}  // namespace

// The entry point the CUDA driver looks up in the library named by CUDA_INJECTION64_PATH.
extern "C" __attribute__((visibility("default"))) int InitializeInjection(void) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_session) return 1;
  auto spec = moesim::profiler::cupti::parse_capture_kinds(env_or("MOESIM_PROFILE_KINDS", "all"),
                                                           "MOESIM_PROFILE_KINDS");
  if (!spec.ok()) {
    warn(spec.errors()[0].message + "; not recording");
    return 0;
  }
  g_out_path = env_or("MOESIM_PROFILE_OUT", "moesim_profile.json");
  g_tags = parse_tags(env_or("MOESIM_PROFILE_TAGS", ""));
  auto session = CuptiSession::start(spec.value());
  if (!session.ok()) {
    warn(session.errors()[0].message + "; not recording");
    return 0;
  }
  g_session = std::move(session).value();
  std::atexit(write_at_exit);
  return 1;
}
