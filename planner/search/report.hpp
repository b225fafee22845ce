// `moesim report`: a cost what-if report (Markdown + HTML with figures) from a `moesim plan --json`
// result. The figures come from notebooks/report_figures.py (embedded in the binary, run with
// Debian's /usr/bin/python3 and matplotlib headless); the text and tables are written here.
#pragma once

#include <string>
#include <vector>

#include "models/result.hpp"

namespace moesim::planner::search {

struct ReportResult {
  std::string markdown_path, html_path;
  std::vector<std::string> figures;  // PNG paths written
  std::string figures_error;         // why figures are missing ("" = none missing)
};

// The embedded figure script's text.
std::string report_figures_script();

// Validates `result_path` (schema_version, kind, ranked rows); bad input names the file and field.
// Writes DIR/report.md, DIR/report.html and DIR/*.png. `python` is the interpreter to run.
Result<ReportResult> write_report(const std::string& result_path, const std::string& out_dir,
                                  const std::string& python = "/usr/bin/python3");

}  // namespace moesim::planner::search
