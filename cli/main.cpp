// The `moesim` executable: parses the command line, runs one sub-command, maps errors to exit codes.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "cli/command.hpp"

int main(int argc, char** argv) {
  using namespace moesim::cli;
  CLI::App app{
      "moesim: simulator and hardware planner for Mixture-of-Experts LLMs on GPU clusters.\n"
      "Each sub-command runs on an embedded default (DeepSeek-V3 on H800) when given no file."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every sub-command");

  CommandRunner runner;
  add_catalog_commands(app, runner);
  add_place_commands(app, runner);
  add_trace_commands(app, runner);
  add_cost_commands(app, runner);
  add_calibrate_commands(app, runner);
  add_simulate_commands(app, runner);
  add_serve_commands(app, runner);
  add_validate_commands(app, runner);
  add_plan_commands(app, runner);
  add_report_commands(app, runner);
  add_profile_commands(app, runner);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "moesim: error: " << e.what() << " (see `moesim --help`)\n";
    return static_cast<int>(moesim::ErrorKind::kBadInput);
  }
  try {
    return runner.run();
  } catch (const std::exception& e) {
    std::cerr << "moesim: internal error: " << e.what() << "\n";
    return static_cast<int>(moesim::ErrorKind::kInternal);
  }
}
