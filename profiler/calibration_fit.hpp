// `moesim calibrate`: kernel records tagged with what they computed → a calibration table.
//
// A record takes part when its tags name an op kind and shape (see traces/calibration/README.md):
//   op_kind (or op, if it is an op kind name; or inferred as gemm/grouped_gemm from m, n, k, groups),
//   dtype, the shape keys of traces::calibration_shape_keys(op_kind) ("seq" is accepted for "tokens"),
//   and optionally rep: records sharing (op, dtype, shape, rep) are one launch of a multi-kernel op
//   and their durations add up. Without rep, every record is one repetition.
// Each (op kind, dtype, shape) becomes one entry: the median over repetitions, their count, and
// half the 10th–90th percentile range as spread.
#pragma once

#include <string>
#include <vector>

#include "models/result.hpp"
#include "traces/calibration_table.hpp"
#include "traces/kernel_record.hpp"

namespace moesim::profiler {

struct RecordFile {
  std::string path;                 // for messages
  traces::KernelRecordSet records;
};

struct CalibrationFitResult {
  traces::CalibrationTable table;
  int64_t records_used = 0;
  int64_t records_skipped = 0;      // no op tags (e.g. setup kernels, memcpys of other work)
};

// `provenance` is copied into the table (gpu and gpu_family must be set by the caller). Records
// with op tags that are malformed (unknown op kind or dtype, non-integer or missing shape values)
// are errors naming the file, the record index and the tag.
Result<CalibrationFitResult> calibration_from_records(const std::vector<RecordFile>& files,
                                                      const traces::CalibrationProvenance& provenance);

}  // namespace moesim::profiler
