// `moesim plan [PLAN.yaml] [--json] [--top K] [--refine K] [--jobs N] [--no-refine] [--cache DIR]
// [--calibration FILE]`: search hardware × parallelism × quantization for serving or training;
// ranked table + Pareto front, the best rows refined by simulation in child processes.
// Under `mpirun -np N` the candidates are sharded over the ranks and rank 0 prints the result.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "cli/cost_model_factory.hpp"
#include "configs/plan_spec.hpp"
#include "planner/search/plan_json.hpp"
#include "planner/search/refine.hpp"
#include "planner/search/serving_search.hpp"
#include "planner/search/sharding.hpp"
#include "planner/search/training_refine.hpp"
#include "planner/search/training_search.hpp"

namespace moesim::cli {

namespace {

namespace ps = planner::search;

constexpr const char* kDefaultPlan = "plan-deepseek-v3-serving";

struct PlanArgs {
  std::string plan = kDefaultPlan;
  bool json = false;
  int top = 0;           // 0 = the plan's
  int refine = -1;       // rows to simulate; -1 = serving: top, training: min(top, 8)
  int jobs = 1;
  bool no_refine = false;
  std::vector<std::string> calibration;
  std::string cache_dir;
  bool timing = false;
};

ps::ProgressFn progress_bar(bool on, const char* label) {
  if (!on) return {};
  return [label](size_t done, size_t total) {
    const int width = 40;
    const double f = total ? static_cast<double>(std::min(done, total)) / static_cast<double>(total) : 1.0;
    const int filled = static_cast<int>(f * width);
    std::fprintf(stderr, "\r%s [%s%s] %zu/%zu", label, std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(width - filled), ' ').c_str(), std::min(done, total), total);
    if (done >= total) std::fprintf(stderr, "\n");
  };
}

void print_instance(const char* role, const nlohmann::json& i) {
  const bool decode = std::string(role) == "decode";
  std::printf("  %-7s %3d x %2d-node units (%d GPUs each): attention %s%s, EP%d, %d redundant experts (%d per GPU), %s %d\n",
              role, i["instances"].get<int>(), i["nodes"].get<int>(), i["gpus"].get<int>(),
              i["attention"].get<std::string>() == "dp" ? "DP" : "TP",
              std::to_string(i["attention"].get<std::string>() == "dp" ? i["attention_dp"].get<int>() : i["attention_tp"].get<int>()).c_str(),
              i["ep"].get<int>(), i["redundant_experts"].get<int>(), i["experts_per_gpu"].get<int>(),
              decode ? "batch/GPU" : "tokens/GPU", decode ? i["batch_per_gpu"].get<int>() : i["tokens_per_gpu"].get<int>());
  std::printf("          step %.1f ms, %s %.3f s, %.0f tokens/s per node, HBM %.0f/%.0f GB\n", 1e3 * i["step_s"].get<double>(),
              decode ? "TPOT" : "TTFT", decode ? i["tpot_s"].get<double>() : i["ttft_s"].get<double>(),
              i["capacity_tokens_per_s_per_node"].get<double>(), i["hbm_used_bytes"].get<double>() / 1e9,
              i["hbm_usable_bytes"].get<double>() / 1e9);
}

void print_serving(const nlohmann::json& doc) {
  const auto& s = doc["search"];
  const auto& load = doc["load"];
  std::printf("plan %s: %s (config %s)\n", doc["plan"]["name"].get<std::string>().c_str(),
              doc["model"]["display_name"].get<std::string>().c_str(), doc["config_hash"].get<std::string>().c_str());
  std::printf("load: %.2fM uncached prefill tokens/s, %.2fM output tokens/s, %.0f requests/s (mean %.0f in / %.0f out tokens)\n",
              load["prefill_tokens_per_s"].get<double>() / 1e6, load["output_tokens_per_s"].get<double>() / 1e6,
              load["requests_per_s"].get<double>(), load["mean_input_tokens"].get<double>(),
              load["mean_output_tokens"].get<double>());
  std::printf("searched %zu instance candidates analytically (%zu prefill, %zu decode feasible), covering %.0f deployments\n\n",
              s["instance_candidates_evaluated"].get<size_t>(), s["feasible_prefill"].get<size_t>(),
              s["feasible_decode"].get<size_t>(), s["deployments_covered"].get<double>());
  const auto& best = doc["ranked"][0];
  std::printf("RECOMMENDED: %d x %s (%d nodes), weights %s, KV %s, dispatch %s: $%.3f per M output tokens, $%.0f/day\n",
              best["total_gpus"].get<int>(), best["gpu"].get<std::string>().c_str(), best["total_nodes"].get<int>(),
              best["weight_dtype"].get<std::string>().c_str(), best["kv_cache_dtype"].get<std::string>().c_str(),
              best["dispatch_dtype"].get<std::string>().c_str(), best["usd_per_m_output_tokens"].get<double>(),
              best["usd_per_day"].get<double>());
  print_instance("prefill", best["prefill"]);
  print_instance("decode", best["decode"]);
  std::printf("  why: %s\n", best["why"].get<std::string>().c_str());
  if (best.contains("simulated")) {
    const auto& sim = best["simulated"];
    if (sim["ok"].get<bool>()) {
      std::printf("  simulated: TTFT %.2f s, TPOT %.1f ms, %.0f output tokens/s per decode GPU (%s the SLO)\n",
                  sim["ttft_p_s"].get<double>(), 1e3 * sim["tpot_p_s"].get<double>(),
                  sim["output_tokens_per_s_per_gpu"].get<double>(), sim["meets_slo"].get<bool>() ? "meets" : "misses");
    } else {
      std::printf("  simulated: not available (%s)\n", sim["error"].get<std::string>().c_str());
    }
  }
  // Units: instances x nodes, attention TP, redundant experts (r), decode batch per GPU (b).
  std::printf("\n%-4s %-7s %-4s %-4s %-4s %6s %5s %-18s %-22s %9s %8s %8s %s\n", "RANK", "GPU", "W", "KV", "DISP",
              "GPUS", "NODES", "PREFILL", "DECODE", "$/MTOK", "TPOT ms", "TTFT s", "PARETO/SIM");
  for (const auto& r : doc["ranked"]) {
    const auto& p = r["prefill"];
    const auto& d = r["decode"];
    char pre[48], dec[48];
    std::snprintf(pre, sizeof pre, "%dx%dn tp%d r%d", p["instances"].get<int>(), p["nodes"].get<int>(),
                  p["attention_tp"].get<int>(), p["redundant_experts"].get<int>());
    std::snprintf(dec, sizeof dec, "%dx%dn tp%d r%d b%d", d["instances"].get<int>(), d["nodes"].get<int>(),
                  d["attention_tp"].get<int>(), d["redundant_experts"].get<int>(), d["batch_per_gpu"].get<int>());
    std::string marks = r["pareto"].get<bool>() ? "pareto" : "";
    if (r.contains("simulated") && r["simulated"]["ok"].get<bool>())
      marks += std::string(marks.empty() ? "" : ",") + (r["simulated"]["meets_slo"].get<bool>() ? "sim-ok" : "sim-miss");
    std::printf("%-4d %-7s %-4s %-4s %-4s %6d %5d %-18s %-22s %9.4f %8.1f %8.2f %s\n", r["rank"].get<int>(),
                r["gpu"].get<std::string>().c_str(), r["weight_dtype"].get<std::string>().c_str(),
                r["kv_cache_dtype"].get<std::string>().c_str(), r["dispatch_dtype"].get<std::string>().c_str(),
                r["total_gpus"].get<int>(), r["total_nodes"].get<int>(), pre,
                dec, r["usd_per_m_output_tokens"].get<double>(), 1e3 * d["tpot_s"].get<double>(), p["ttft_s"].get<double>(),
                marks.c_str());
  }
  std::printf("\nbest per GPU type:\n");
  for (const auto& [gpu, r] : doc["best_per_gpu"].items()) {
    std::printf("  %-7s %5d GPUs (%4d nodes) $%.4f/Mtok, %s weights: %s\n", gpu.c_str(), r["total_gpus"].get<int>(),
                r["total_nodes"].get<int>(), r["usd_per_m_output_tokens"].get<double>(),
                r["weight_dtype"].get<std::string>().c_str(), r["why"].get<std::string>().c_str());
  }
  std::printf("\nAnalytical estimates (%s; alpha-beta collectives; assumptions in --json / `moesim report`).\n",
              doc["cost_model"].get<std::string>().c_str());
}

// The simulated step time of a row: seconds, "no fit" (simulated memory exceeds HBM), "failed",
// "n/a" (the simulator cannot model it) or "-" (not simulated).
std::string simulated_step(const nlohmann::json& r) {
  if (!r.contains("simulated")) return "-";
  const auto& sim = r["simulated"];
  if (!sim["ran"].get<bool>()) return "n/a";
  if (!sim["fits"].get<bool>()) return "no fit";
  if (!sim["ok"].get<bool>()) return "failed";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", sim["step_s"].get<double>());
  return buf;
}

void print_training(const nlohmann::json& doc) {
  std::printf("plan %s: %s (config %s)\n", doc["plan"]["name"].get<std::string>().c_str(),
              doc["model"]["display_name"].get<std::string>().c_str(), doc["config_hash"].get<std::string>().c_str());
  size_t simulated = 0;
  for (const auto& r : doc["ranked"]) simulated += r.contains("simulated") && r["simulated"]["ran"].get<bool>() ? 1 : 0;
  std::printf("searched %zu layouts analytically, %zu feasible", doc["search"]["candidates_evaluated"].get<size_t>(),
              doc["search"]["feasible"].get<size_t>());
  if (simulated > 0) {
    std::printf(";\nthe best %zu it can model simulated (moesim simulate train) and re-ranked among themselves by "
                "simulated %s", simulated, doc["plan"]["objective"].get<std::string>().c_str());
  }
  std::printf("\n\n%-4s %-6s %-4s %5s %3s %4s %3s %3s %-8s %2s %-9s %8s %8s %7s %11s %6s %s\n", "RANK", "GPU", "GEMM",
              "GPUS", "PP", "DP", "EP", "TP", "SCHEDULE", "MB", "RECOMPUTE", "STEP s", "SIM s", "DAYS", "$", "MFU", "WHY");
  for (const auto& r : doc["ranked"]) {
    std::printf("%-4d %-6s %-4s %5d %3d %4d %3d %3d %-8s %2d %-9s %8.2f %8s %7.1f %11.0f %5.1f%% %s\n", r["rank"].get<int>(),
                r["gpu"].get<std::string>().c_str(), r["gemm_dtype"].get<std::string>().c_str(), r["total_gpus"].get<int>(),
                r["pp"].get<int>(), r["dp"].get<int>(), r["ep"].get<int>(), r["tp"].get<int>(),
                r["schedule"].get<std::string>().c_str(), r["micro_batch_sequences"].get<int>(),
                r["recompute"].get<std::string>().c_str(), r["step_s"].get<double>(), simulated_step(r).c_str(),
                r["time_to_train_days"].get<double>(), r["total_usd"].get<double>(), 100 * r["mfu"].get<double>(),
                r["why"].get<std::string>().c_str());
  }
  std::printf("\nSTEP s, DAYS, $ and MFU are analytical; SIM s is the simulated step (simulated days, $ and MFU in WHY;\n"
              "n/a: the simulator does not model the layout).\n"
              "Cost model: %s.\n", doc["cost_model"].get<std::string>().c_str());
}

// Rows to simulate: --refine K, else all listed rows for serving and at most 8 for training (a
// training step takes seconds of simulation); none with --no-refine or without our own path.
int refine_count(const PlanArgs& a, const configs::PlanSpec& plan, int top) {
  if (a.no_refine || ps::self_executable().empty()) return 0;
  if (a.refine >= 0) return a.refine;
  return plan.kind == configs::PlanKind::kServing ? top : std::min(top, ps::kDefaultTrainingRefine);
}

std::vector<std::string> child_args(const PlanArgs& a) {
  std::vector<std::string> args;
  for (const std::string& f : a.calibration) {
    args.push_back("--calibration");
    args.push_back(f);
  }
  return args;
}

int run_plan(const PlanArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  Result<configs::PlanSpec> loaded = configs::load_plan_spec(a.plan);
  if (!loaded.ok()) return report_errors(loaded.errors());
  const configs::PlanSpec& plan = loaded.value();
  const int top = a.top > 0 ? a.top : static_cast<int>(plan.top);
  Result<CostModelChoice> cost_model = make_cost_model(a.calibration);
  if (!cost_model.ok()) return report_errors(cost_model.errors());
  const models::CostModel& cost = *cost_model.value().model;
  const std::string& cost_text = cost_model.value().description;
  Result<ps::ShardContext> started = ps::start_sharding(a.jobs);
  if (!started.ok()) return report_errors(started.errors());
  const ps::ShardContext ctx = started.value();
  const bool tty = ctx.is_root() && ::isatty(STDERR_FILENO);
  const int k = refine_count(a, plan, top);
  const ps::SubprocessRunner child(ps::self_executable(), child_args(a));
  const ps::CachedRunner runner(child, a.cache_dir, cost_model.value().fingerprint);
  std::string text;
  int rc = 0;
  if (plan.kind == configs::PlanKind::kServing) {
    const ps::ServingModel model(plan, cost);
    Result<ps::ServingPlanResult> r = ps::search_serving(plan, model, ctx, progress_bar(tty, "evaluating"));
    if (!r.ok()) {
      rc = ctx.is_root() ? report_errors(r.errors()) : static_cast<int>(r.errors().front().kind);
    } else if (ctx.is_root()) {
      ps::ServingPlanResult result = std::move(r).value();
      ps::refine_top(plan, result.load, &result.ranked, k, runner, a.jobs, progress_bar(tty, "simulate serve"));
      ps::apply_refinement(&result.ranked, k);
      text = ps::serving_result_json(plan, result, top, &model, cost_text);
    }
  } else {
    Result<ps::TrainingPlanResult> r = ps::search_training(plan, cost, ctx, progress_bar(tty, "evaluating"));
    if (!r.ok()) {
      rc = ctx.is_root() ? report_errors(r.errors()) : static_cast<int>(r.errors().front().kind);
    } else if (ctx.is_root()) {
      ps::TrainingPlanResult result = std::move(r).value();
      ps::refine_training_top(plan, &result.ranked, k, runner, a.jobs, progress_bar(tty, "simulate train"));
      ps::apply_training_refinement(plan, &result.ranked);
      text = ps::training_result_json(plan, result, top, cost_text);
    }
  }
  ps::finish_sharding(ctx);
  if (rc != 0 || !ctx.is_root()) return rc;
  const nlohmann::json doc = nlohmann::json::parse(text);
  if (a.json) {
    print_json(doc);
  } else if (plan.kind == configs::PlanKind::kServing) {
    print_serving(doc);
  } else {
    print_training(doc);
  }
  if (a.timing || tty) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "moesim plan: %.2f s wall, %d rank(s) x %d job(s)\n", s, ctx.size, ctx.jobs);
  }
  return 0;
}

}  // namespace

void add_plan_commands(CLI::App& app, CommandRunner& runner) {
  CLI::App* sub = app.add_subcommand("plan", "Search hardware x parallelism x quantization; ranked table + Pareto front");
  auto a = std::make_shared<PlanArgs>();
  sub->add_option("plan", a->plan, "Plan file (YAML path) or catalog name")->default_str(kDefaultPlan);
  sub->add_flag("--json", a->json, "Print one JSON document (what `moesim report` reads)");
  sub->add_option("--top", a->top, "Rows to list (default: the plan's `top`)")->check(CLI::PositiveNumber);
  sub->add_option("--refine", a->refine,
                  "Best rows to refine by simulation in child processes (default: serving all --top rows; training "
                  "min(--top, 8), the best layouts `simulate train` can model, since a step takes seconds)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--jobs", a->jobs, "Local threads for evaluation and simulations")->check(CLI::Range(1, 256));
  sub->add_flag("--no-refine", a->no_refine, "Analytical estimates only (skip the child-process simulations)");
  sub->add_option("--cache", a->cache_dir, "Directory caching simulation results by scenario hash");
  add_calibration_option(sub, &a->calibration);
  sub->add_flag("--timing", a->timing, "Print the wall time on stderr");
  runner.on(sub, [a] { return run_plan(*a); });
}

}  // namespace moesim::cli
