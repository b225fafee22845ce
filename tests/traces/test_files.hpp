// Helpers for trace tests: fixture paths and throw-away files.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace moesim::traces::testing {

inline std::string data_path(const std::string& name) { return std::string(MOESIM_TEST_DATA_DIR) + "/" + name; }

// Writes `text` to a fresh file in the test temp dir and returns its path.
inline std::string write_temp(const std::string& name, const std::string& text) {
  // Per-process names: ctest runs test cases concurrently, each in its own process.
  const std::string path = ::testing::TempDir() + "moesim_traces_" + std::to_string(getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace moesim::traces::testing
