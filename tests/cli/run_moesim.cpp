#include "tests/cli/run_moesim.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace moesim::testing {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string temp_dir() {
  const char* dir = std::getenv("TMPDIR");
  return dir ? dir : "/tmp";
}

}  // namespace

std::vector<std::string> RunResult::err_lines() const {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

RunResult run_moesim(const std::string& args) {
  const std::string base = temp_dir() + "/moesim_cli_test_" + std::to_string(getpid());
  const std::string out_path = base + ".out", err_path = base + ".err";
  const std::string command = std::string(MOESIM_BIN) + " " + args + " >" + out_path + " 2>" + err_path;
  const int status = std::system(command.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return r;
}

std::string write_temp_file(const std::string& name, const std::string& text) {
  const std::string path = temp_dir() + "/moesim_" + std::to_string(getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string read_source_file(const std::string& relative_path) {
  return slurp(std::string(MOESIM_SOURCE_DIR) + "/" + relative_path);
}

}  // namespace moesim::testing
