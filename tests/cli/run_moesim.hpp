// Runs the built `moesim` binary with arguments and captures its exit code, stdout and stderr.
#pragma once

#include <string>
#include <vector>

namespace moesim::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  // Lines of stderr (without the trailing empty one).
  std::vector<std::string> err_lines() const;
};

// `args` is appended to the binary path as-is (shell words; quote paths yourself if needed).
RunResult run_moesim(const std::string& args);

// Writes `text` to a fresh file under the test's temporary directory and returns its path.
std::string write_temp_file(const std::string& name, const std::string& text);

// Reads a file of the source tree (relative to the repository root).
std::string read_source_file(const std::string& relative_path);

}  // namespace moesim::testing
