// `moesim report RESULT.json --out DIR [--json]`: a cost what-if report (HTML + Markdown with
// figures drawn by the embedded matplotlib script) from a `moesim plan --json` result.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "planner/search/report.hpp"

namespace moesim::cli {

namespace {

struct ReportArgs {
  std::string result;
  std::string out = "moesim-report";
  std::string python = "/usr/bin/python3";
  bool json = false;
};

int run_report(const ReportArgs& a) {
  Result<planner::search::ReportResult> r = planner::search::write_report(a.result, a.out, a.python);
  if (!r.ok()) return report_errors(r.errors());
  const auto& v = r.value();
  if (a.json) {
    print_json({{"schema_version", 1}, {"markdown", v.markdown_path}, {"html", v.html_path}, {"figures", v.figures},
                {"figures_error", v.figures_error}});
    return 0;
  }
  std::printf("wrote %s and %s with %zu figures\n", v.html_path.c_str(), v.markdown_path.c_str(), v.figures.size());
  if (!v.figures_error.empty()) std::fprintf(stderr, "moesim: warning: figures not drawn: %s\n", v.figures_error.c_str());
  return 0;
}

}  // namespace

void add_report_commands(CLI::App& app, CommandRunner& runner) {
  CLI::App* sub = app.add_subcommand("report", "Cost what-if report (HTML + Markdown with figures) from a plan result");
  auto a = std::make_shared<ReportArgs>();
  sub->add_option("result", a->result, "Result of `moesim plan --json`")->required();
  sub->add_option("--out", a->out, "Output directory")->default_str("moesim-report");
  sub->add_option("--python", a->python, "Python with matplotlib for the figures")->default_str("/usr/bin/python3");
  sub->add_flag("--json", a->json, "Print what was written as JSON");
  runner.on(sub, [a] { return run_report(*a); });
}

}  // namespace moesim::cli
