// Calibration tables: measured kernel times for (op kind, precision, shape) on one GPU, with the
// provenance needed to trust or reject them. Format "moesim.calibration", schema_version 1; files
// live in traces/calibration/ and the layout is documented in traces/calibration/README.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/dtype.hpp"
#include "models/op.hpp"
#include "models/result.hpp"

namespace moesim::traces {

inline constexpr const char* kCalibrationFormat = "moesim.calibration";
inline constexpr int kCalibrationSchemaVersion = 1;

// Where and how the measurements were taken. Unknown values stay empty / 0.
struct CalibrationProvenance {
  std::string gpu;              // catalog name the table applies to ("h200"); required
  std::string gpu_name;         // as the driver reports it ("NVIDIA H200")
  std::string gpu_family;       // architecture family ("hopper"); required, used to scale to other GPUs
  int64_t sm_count = 0;
  double sm_clock_mhz = 0;      // application/locked SM clock during the run, 0 = unknown
  double memory_clock_mhz = 0;
  std::string driver;           // "580.65.06"
  std::string cuda;             // "13.0"
  std::string tool;             // "moesim profile", "moesim calibrate", ...
  std::string tool_version;
  std::string date;             // ISO 8601
  std::string notes;
};

// One measured point: the median kernel time of `repetitions` runs of one op shape.
struct CalibrationEntry {
  models::OpKind op = models::OpKind::kGemm;
  models::DType dtype = models::DType::kBf16;
  std::map<std::string, int64_t> shape;  // keys from calibration_shape_keys(op); booleans as 0/1
  double median_us = 0;                  // kernel time on the GPU (launch gaps excluded)
  int64_t repetitions = 1;
  double spread_us = 0;                  // half the 10th–90th percentile range; 0 = unknown
  std::string kernel;                    // dominant kernel name (informational)
};

struct CalibrationTable {
  CalibrationProvenance provenance;
  std::vector<CalibrationEntry> entries;
};

// The shape keys an op kind takes in calibration entries, records' tags and `moesim cost`.
struct ShapeKey {
  const char* name;
  bool required;
  int64_t default_value;  // used when optional and absent
  int64_t min_value;
};
// Empty for op kinds that cannot be calibrated yet.
const std::vector<ShapeKey>& calibration_shape_keys(models::OpKind op);
// Inverse of models::op_kind_name; false if unknown.
bool parse_op_kind(const std::string& name, models::OpKind* out);

std::string calibration_to_json(const CalibrationTable& table);
// Strict reader: unknown keys, missing provenance fields, shape keys that do not belong to the op
// and non-positive times are errors naming the entry index.
Result<CalibrationTable> parse_calibration(const std::string& text, const std::string& display_name);
Result<CalibrationTable> read_calibration(const std::string& path);

// Whether a JSON text is a kernel calibration table ("format": "moesim.calibration"). Other files may
// share traces/calibration/ (the simulator's network calibrations) and are not ours to parse.
bool is_kernel_calibration(const std::string& text);
// The kernel calibration tables shipped in traces/calibration/ (embedded in the binary).
Result<std::vector<CalibrationTable>> embedded_calibration_tables();

}  // namespace moesim::traces
