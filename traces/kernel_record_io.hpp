// moesim's own kernel-record file ("format": "moesim.kernel_records", schema_version 1): what
// `moesim trace import` writes and `moesim calibrate` reads. Layout is documented in
// traces/calibration/README.md.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "models/result.hpp"
#include "traces/kernel_record.hpp"

namespace moesim::traces {

inline constexpr const char* kKernelRecordsFormat = "moesim.kernel_records";
inline constexpr int kKernelRecordsSchemaVersion = 1;

std::string activity_kind_name(ActivityKind kind);  // "kernel", "memcpy", "memset"

// Writes records one per line as they come, so an import never holds them all: begin(), add() per
// record, then finish() with the provenance (known only once the whole trace has been read).
class KernelRecordWriter {
 public:
  KernelRecordWriter(std::ostream& out, const std::string& source);
  void add(const KernelRecord& record);
  void finish(const std::map<std::string, std::string>& provenance);
  int64_t count() const { return count_; }

 private:
  std::ostream& out_;
  int64_t count_ = 0;
};

// The whole set through KernelRecordWriter.
void write_kernel_records(const KernelRecordSet& set, std::ostream& out);
std::string kernel_records_to_json(const KernelRecordSet& set);

// Strict reader: unknown keys, wrong types and end < start are errors naming the record index.
Result<KernelRecordSet> parse_kernel_records(const std::string& text, const std::string& display_name);
Result<KernelRecordSet> read_kernel_records(const std::string& path);

}  // namespace moesim::traces
