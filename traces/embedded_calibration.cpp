#include "traces/embedded_calibration.hpp"

extern const moesim::EmbeddedFile moesim_embedded_calibration[];
extern const std::size_t moesim_embedded_calibration_count;

namespace moesim::traces {

std::vector<EmbeddedFile> embedded_calibration_files() {
  return {moesim_embedded_calibration, moesim_embedded_calibration + moesim_embedded_calibration_count};
}

}  // namespace moesim::traces
