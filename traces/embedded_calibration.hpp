// The calibration files shipped in traces/calibration/, compiled into the binary (with the same
// helper as the config catalog) so the cost model finds them whatever directory moesim runs from.
#pragma once

#include <vector>

#include "models/embedded_file.hpp"

namespace moesim::traces {

// Paths are relative to traces/, e.g. "calibration/h200.json".
std::vector<EmbeddedFile> embedded_calibration_files();

}  // namespace moesim::traces
