#include "planner/search/report.hpp"

#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "models/embedded_file.hpp"

extern const moesim::EmbeddedFile moesim_embedded_report_script[];
extern const std::size_t moesim_embedded_report_script_count;

namespace moesim::planner::search {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A report is a list of blocks rendered twice: Markdown and HTML.
struct Block {
  enum Kind { kHeading, kText, kTable, kImage } kind;
  std::string text;                             // heading / paragraph / image path / table caption
  std::vector<std::vector<std::string>> rows;   // table: first row is the header
};

std::string f(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

std::string render_markdown(const std::vector<Block>& blocks) {
  std::ostringstream md;
  for (const Block& b : blocks) {
    switch (b.kind) {
      case Block::kHeading: md << "\n## " << b.text << "\n\n"; break;
      case Block::kText: md << b.text << "\n\n"; break;
      case Block::kImage: md << "![" << b.text << "](" << b.text << ")\n\n"; break;
      case Block::kTable:
        for (size_t r = 0; r < b.rows.size(); ++r) {
          md << "|";
          for (const auto& cell : b.rows[r]) md << " " << cell << " |";
          md << "\n";
          if (r == 0) {
            md << "|";
            for (size_t c = 0; c < b.rows[0].size(); ++c) md << "---|";
            md << "\n";
          }
        }
        md << "\n";
        break;
    }
  }
  return md.str();
}

std::string render_html(const std::string& title, const std::vector<Block>& blocks) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" << html_escape(title) << "</title>\n"
    << "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse;font-size:13px}"
       "td,th{border:1px solid #ccc;padding:3px 6px}th{background:#eee}img{max-width:100%}</style></head><body>\n"
    << "<h1>" << html_escape(title) << "</h1>\n";
  for (const Block& b : blocks) {
    switch (b.kind) {
      case Block::kHeading: h << "<h2>" << html_escape(b.text) << "</h2>\n"; break;
      case Block::kText: h << "<p>" << html_escape(b.text) << "</p>\n"; break;
      case Block::kImage: h << "<p><img src=\"" << html_escape(b.text) << "\" alt=\"" << html_escape(b.text) << "\"></p>\n"; break;
      case Block::kTable:
        h << "<table>\n";
        for (size_t r = 0; r < b.rows.size(); ++r) {
          h << "<tr>";
          for (const auto& cell : b.rows[r]) h << (r == 0 ? "<th>" : "<td>") << html_escape(cell) << (r == 0 ? "</th>" : "</td>");
          h << "</tr>\n";
        }
        h << "</table>\n";
        break;
    }
  }
  h << "</body></html>\n";
  return h.str();
}

std::string layout(const json& i) {
  return std::to_string(i["instances"].get<int>()) + " x " + std::to_string(i["nodes"].get<int>()) + "-node, attn " +
         (i["attention"].get<std::string>() == "dp" ? "DP" + std::to_string(i["attention_dp"].get<int>())
                                                   : "TP" + std::to_string(i["attention_tp"].get<int>())) +
         ", EP" + std::to_string(i["ep"].get<int>()) + " +" + std::to_string(i["redundant_experts"].get<int>());
}

std::vector<std::string> serving_row(const json& r) {
  std::string sim = "-";
  if (r.contains("simulated")) {
    const json& s = r["simulated"];
    sim = s["ok"].get<bool>() ? "TTFT " + f(s["ttft_p_s"].get<double>(), 2) + " s, TPOT " + f(1e3 * s["tpot_p_s"].get<double>(), 1) + " ms"
                              : "failed";
  }
  return {std::to_string(r["rank"].get<int>()), r["gpu"].get<std::string>(),
          r["weight_dtype"].get<std::string>() + "/" + r["kv_cache_dtype"].get<std::string>() + "/" + r["dispatch_dtype"].get<std::string>(),
          std::to_string(r["total_gpus"].get<int>()), std::to_string(r["total_nodes"].get<int>()),
          layout(r["prefill"]), layout(r["decode"]) + ", batch " + std::to_string(r["decode"]["batch_per_gpu"].get<int>()),
          f(r["usd_per_m_output_tokens"].get<double>(), 4), f(1e3 * r["decode"]["tpot_s"].get<double>(), 1),
          f(r["prefill"]["ttft_s"].get<double>(), 2), sim, r["why"].get<std::string>()};
}

std::vector<std::string> training_row(const json& r) {
  return {std::to_string(r["rank"].get<int>()), r["gpu"].get<std::string>(), r["gemm_dtype"].get<std::string>(),
          std::to_string(r["total_gpus"].get<int>()),
          "PP" + std::to_string(r["pp"].get<int>()) + " DP" + std::to_string(r["dp"].get<int>()) + " EP" +
              std::to_string(r["ep"].get<int>()) + " TP" + std::to_string(r["tp"].get<int>()),
          r["schedule"].get<std::string>() + ", mb " + std::to_string(r["micro_batch_sequences"].get<int>()) + ", " +
              r["recompute"].get<std::string>(),
          f(r["time_to_train_days"].get<double>(), 1), f(r["total_usd"].get<double>() / 1e6, 2),
          f(100 * r["mfu"].get<double>(), 1) + " %", r["why"].get<std::string>()};
}

Block rows_table(const json& rows, bool serving) {
  Block t{Block::kTable, "", {}};
  if (serving) {
    t.rows.push_back({"rank", "GPU", "weights/KV/dispatch", "GPUs", "nodes", "prefill", "decode", "$/M out tok",
                      "TPOT ms", "TTFT s", "simulated", "why"});
  } else {
    t.rows.push_back({"rank", "GPU", "GEMM", "GPUs", "layout", "schedule", "days", "$M", "MFU", "why"});
  }
  for (const json& r : rows) t.rows.push_back(serving ? serving_row(r) : training_row(r));
  return t;
}

Block cost_table(const json& doc, bool serving) {
  Block t{Block::kTable, "", {}};
  if (serving) {
    t.rows.push_back({"GPU", "GPUs", "$/hour", "$/day", "$/M output tokens (rental)", "GPU-hours/day", "power kW",
                      "power $/M output tokens"});
  } else {
    t.rows.push_back({"GPU", "GPUs", "days", "GPU-hours", "total $", "power kW"});
  }
  for (const auto& [gpu, r] : doc["best_per_gpu"].items()) {
    if (serving) {
      t.rows.push_back({gpu, std::to_string(r["total_gpus"].get<int>()), f(r["usd_per_hour"].get<double>(), 0),
                        f(r["usd_per_day"].get<double>(), 0), f(r["usd_per_m_output_tokens"].get<double>(), 4),
                        f(r["gpu_hours_per_day"].get<double>(), 0), f(r["power_kw"].get<double>(), 0),
                        f(r["energy_usd_per_m_output_tokens"].get<double>(), 4)});
    } else {
      t.rows.push_back({gpu, std::to_string(r["total_gpus"].get<int>()), f(r["time_to_train_days"].get<double>(), 1),
                        f(r["gpu_hours"].get<double>(), 0), f(r["total_usd"].get<double>(), 0), f(r["power_kw"].get<double>(), 0)});
    }
  }
  return t;
}

std::vector<Block> build_blocks(const json& doc, const std::vector<std::string>& figures, const std::string& fig_error) {
  const bool serving = doc["kind"].get<std::string>() == "serving";
  std::vector<Block> b;
  b.push_back({Block::kText, "Model: " + doc["model"]["display_name"].get<std::string>() +
                                 (doc["model"]["what_if"].get<bool>() ? " (WHAT-IF: hypothetical model)" : "") +
                                 ". Plan config hash " + doc["config_hash"].get<std::string>() + ", seed " +
                                 doc["seed"].dump() + ". Method: " + doc["method"].get<std::string>() + ".", {}});
  b.push_back({Block::kHeading, "Recommendation", {}});
  const json& best = doc["ranked"][0];
  if (serving) {
    b.push_back({Block::kText, std::to_string(best["total_gpus"].get<int>()) + " x " + best["gpu"].get<std::string>() +
                                   " (" + std::to_string(best["total_nodes"].get<int>()) + " nodes): prefill " +
                                   layout(best["prefill"]) + "; decode " + layout(best["decode"]) + ". $" +
                                   f(best["usd_per_m_output_tokens"].get<double>(), 4) + " per million output tokens, $" +
                                   f(best["usd_per_day"].get<double>(), 0) + " per day. Why: " + best["why"].get<std::string>(),
                 {}});
  } else {
    b.push_back({Block::kText, training_row(best)[3] + " x " + best["gpu"].get<std::string>() + ", " + training_row(best)[4] +
                                   ", " + training_row(best)[5] + ": " + training_row(best)[6] + " days, $" +
                                   f(best["total_usd"].get<double>(), 0) + ". Why: " + best["why"].get<std::string>(),
                 {}});
  }
  b.push_back({Block::kHeading, "Figures", {}});
  for (const auto& p : figures) b.push_back({Block::kImage, fs::path(p).filename().string(), {}});
  if (!fig_error.empty()) b.push_back({Block::kText, "Figures not drawn: " + fig_error, {}});
  b.push_back({Block::kHeading, "Cost breakdown (best deployment per GPU type)", {}});
  b.push_back(cost_table(doc, serving));
  b.push_back({Block::kHeading, "Ranked candidates", {}});
  b.push_back(rows_table(doc["ranked"], serving));
  b.push_back({Block::kHeading, "Pareto front", {}});
  b.push_back(rows_table(doc["pareto"], serving));
  b.push_back({Block::kHeading, "Assumptions", {}});
  Block a{Block::kTable, "", {{"assumption", "value", "unit", "note"}}};
  for (const json& row : doc["assumptions"])
    a.rows.push_back({row["name"].get<std::string>(), row["value"].dump(), row["unit"].get<std::string>(), row["note"].get<std::string>()});
  b.push_back(a);
  b.push_back({Block::kHeading, "Search", {}});
  b.push_back({Block::kText, doc["search"].dump(), {}});
  return b;
}

Status check_result(const json& doc, const std::string& path) {
  if (doc.is_discarded() || !doc.is_object())
    return bad_input(path + ": not a JSON object, expected the output of `moesim plan --json`");
  if (!doc.contains("schema_version") || !doc["schema_version"].is_number_integer() || doc["schema_version"].get<int>() != 1)
    return bad_input(path + ": schema_version: found " + (doc.contains("schema_version") ? doc["schema_version"].dump() : "nothing") +
                     ", expected 1");
  const std::string kind = doc.contains("kind") && doc["kind"].is_string() ? doc["kind"].get<std::string>() : "";
  if (kind != "serving" && kind != "training")
    return bad_input(path + ": kind: found " + (doc.contains("kind") ? doc["kind"].dump() : "nothing") + ", expected \"serving\" or \"training\"");
  if (!doc.contains("ranked") || !doc["ranked"].is_array() || doc["ranked"].empty())
    return bad_input(path + ": ranked: expected a non-empty list of plan rows");
  for (const char* key : {"pareto", "best_per_gpu", "assumptions", "model", "search", "plan"}) {
    if (!doc.contains(key)) return bad_input(path + ": " + key + ": missing, expected the output of `moesim plan --json`");
  }
  return {};
}

int run_python(const std::string& python, const std::string& script, const std::string& result, const std::string& out,
               const std::string& log) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (std::freopen(log.c_str(), "w", stderr) == nullptr) _exit(126);
    if (std::freopen("/dev/null", "w", stdout) == nullptr) _exit(126);
    setenv("MPLBACKEND", "Agg", 1);
    execl(python.c_str(), python.c_str(), script.c_str(), result.c_str(), out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace

std::string report_figures_script() {
  return moesim_embedded_report_script_count > 0 ? moesim_embedded_report_script[0].text : "";
}

Result<ReportResult> write_report(const std::string& result_path, const std::string& out_dir, const std::string& python) {
  std::ifstream in(result_path);
  if (!in) return bad_input(result_path + ": cannot open (does it exist and is it readable?)");
  std::stringstream buf;
  buf << in.rdbuf();
  const json doc = json::parse(buf.str(), nullptr, false);
  if (doc.is_discarded()) return bad_input(result_path + ": not valid JSON, expected the output of `moesim plan --json`");
  Status ok = check_result(doc, result_path);
  if (!ok.ok()) return ok.errors();
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return bad_input(out_dir + ": cannot create the output directory: " + ec.message());
  ReportResult r;
  // 1. Figures, by the embedded script in a child process.
  const fs::path script = fs::path(out_dir) / ".report_figures.py";
  std::ofstream(script) << report_figures_script();
  const std::string log = (fs::path(out_dir) / ".report_figures.log").string();
  const int rc = run_python(python, script.string(), result_path, out_dir, log);
  fs::remove(script, ec);
  if (rc != 0) {
    std::string line;
    std::ifstream errs(log);
    std::string last;
    while (std::getline(errs, line)) if (!line.empty()) last = line;
    r.figures_error = python + " exited " + std::to_string(rc) + (last.empty() ? "" : ": " + last);
  } else {
    fs::remove(log, ec);  // the log is only worth keeping when the figures failed
  }
  for (const char* name : {"pareto.png", "cost_breakdown.png", "expert_heatmap.png", "timeline.png"}) {
    const fs::path p = fs::path(out_dir) / name;
    if (fs::exists(p)) r.figures.push_back(p.string());
  }
  // 2. Text, tables and assumptions. A row with a missing or mistyped field is bad input.
  std::vector<Block> blocks;
  try {
    blocks = build_blocks(doc, r.figures, r.figures_error);
  } catch (const json::exception& e) {
    return bad_input(result_path + ": a plan row has a missing or mistyped field (" + std::string(e.what()) +
                     "), expected the output of `moesim plan --json`");
  }
  const std::string title = "Cost what-if report: " + doc["plan"].value("name", std::string("plan"));
  r.markdown_path = (fs::path(out_dir) / "report.md").string();
  r.html_path = (fs::path(out_dir) / "report.html").string();
  std::ofstream(r.markdown_path) << "# " << title << "\n\n" << render_markdown(blocks);
  std::ofstream(r.html_path) << render_html(title, blocks);
  if (!fs::exists(r.html_path)) return bad_input(out_dir + ": cannot write report.html");
  return r;
}

}  // namespace moesim::planner::search
