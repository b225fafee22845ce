// Shared plumbing for `moesim` sub-commands: each sub-command file registers itself on the CLI11 app
// and hands the runner the function to run once arguments are parsed. Exit codes follow
// models/result.hpp's ErrorKind: 0 ok, 2 bad input, 3 infeasible, 4 no GPU, 70 internal error.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "models/result.hpp"

namespace moesim::cli {

using CommandFn = std::function<int()>;

// Holds the action of whichever sub-command the user chose.
class CommandRunner {
 public:
  // Registers `fn` to run when `sub` is the parsed sub-command.
  void on(CLI::App* sub, CommandFn fn);
  // REQUIRES: arguments parsed. Returns the exit code.
  int run() const;

 private:
  std::vector<std::pair<CLI::App*, CommandFn>> actions_;
};

// Prints each error as one line "moesim: error: ..." on stderr and returns the exit code of the
// first (most severe kinds first: internal > no-device > infeasible > bad input).
int report_errors(const std::vector<Error>& errors);

// Writes `doc` to stdout, pretty-printed, followed by a newline.
void print_json(const nlohmann::json& doc);

// Writes `text` to `path` atomically (temporary file, then rename), so a failed run leaves no
// half-written output. Returns an error naming the path on failure.
Status write_file_atomically(const std::string& path, const std::string& text);

// Formatting helpers for tables.
std::string format_count(double value);       // 671.0B, 37.6B, 1.2T
std::string format_bytes(double bytes);       // 80.0 GiB, 70,272 B
std::string format_fixed(double value, int decimals);

// The `simulate` group that `simulate train` and `simulate serve` both register into (created by
// whichever registers first).
CLI::App* simulate_group(CLI::App& app);

}  // namespace moesim::cli

// Each sub-command family registers itself here; main.cpp calls them in order.
namespace moesim::cli {
void add_catalog_commands(CLI::App& app, CommandRunner& runner);  // models, model show, hardware
void add_profile_commands(CLI::App& app, CommandRunner& runner);  // profile (CUPTI harness)
void add_trace_commands(CLI::App& app, CommandRunner& runner);      // trace summarize, trace import
void add_cost_commands(CLI::App& app, CommandRunner& runner);       // cost gemm|grouped_gemm|attention|...
void add_calibrate_commands(CLI::App& app, CommandRunner& runner);  // calibrate
void add_place_commands(CLI::App& app, CommandRunner& runner);      // place (expert placement, issue 3)
void add_simulate_commands(CLI::App& app, CommandRunner& runner);   // simulate train
void add_validate_commands(CLI::App& app, CommandRunner& runner);   // validate
void add_serve_commands(CLI::App& app, CommandRunner& runner);      // simulate serve (after simulate train)
void add_plan_commands(CLI::App& app, CommandRunner& runner);      // plan (configuration search, issue 8)
void add_report_commands(CLI::App& app, CommandRunner& runner);    // report (cost what-if report, issue 8)
}  // namespace moesim::cli
