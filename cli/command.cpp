#include "cli/command.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace moesim::cli {

void CommandRunner::on(CLI::App* sub, CommandFn fn) { actions_.emplace_back(sub, std::move(fn)); }

int CommandRunner::run() const {
  for (const auto& [sub, fn] : actions_) {
    if (sub->parsed()) return fn();
  }
  std::cerr << "moesim: error: no sub-command given (try `moesim --help`)\n";
  return static_cast<int>(ErrorKind::kBadInput);
}

int report_errors(const std::vector<Error>& errors) {
  ErrorKind worst = ErrorKind::kBadInput;
  auto rank = [](ErrorKind k) {
    switch (k) {
      case ErrorKind::kInternal: return 4;
      case ErrorKind::kNoDevice: return 3;
      case ErrorKind::kInfeasible: return 2;
      case ErrorKind::kBadInput: return 1;
    }
    return 0;
  };
  for (const Error& e : errors) {
    std::cerr << "moesim: error: " << e.message << "\n";
    if (rank(e.kind) > rank(worst)) worst = e.kind;
  }
  return static_cast<int>(worst);
}

void print_json(const nlohmann::json& doc) { std::cout << doc.dump(2) << "\n"; }

Status write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".moesim-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return bad_input("cannot write " + path + ": the directory does not exist or is not writable");
    out << text;
    if (!out.flush()) {
      std::remove(tmp.c_str());
      return bad_input("cannot write " + path + ": write failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return bad_input("cannot write " + path + ": rename failed");
  }
  return {};
}

std::string format_fixed(double value, int decimals) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(decimals);
  s << value;
  return s.str();
}

std::string format_count(double value) {
  const char* suffix[] = {"", "K", "M", "B", "T"};
  int i = 0;
  while (std::fabs(value) >= 1000.0 && i < 4) {
    value /= 1000.0;
    ++i;
  }
  return format_fixed(value, i == 0 ? 0 : 2) + suffix[i];
}

std::string format_bytes(double bytes) {
  const char* suffix[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (bytes >= 1024.0 && i < 4) {
    bytes /= 1024.0;
    ++i;
  }
  return format_fixed(bytes, i == 0 ? 0 : 1) + " " + suffix[i];
}

CLI::App* simulate_group(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "simulate"; })) return sub;
  CLI::App* group = app.add_subcommand("simulate", "Simulate a training step or a serving run on a cluster");
  group->require_subcommand(1);
  return group;
}

}  // namespace moesim::cli
