// `moesim plan [PLAN.yaml] [--json] [--top K] [--jobs N] [--no-refine] [--cache DIR]`: search
// hardware × parallelism × quantization for serving or training; ranked table + Pareto front.
// Under `mpirun -np N` the candidates are sharded over the ranks and rank 0 prints the result.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "configs/plan_spec.hpp"
#include "models/cost_model.hpp"
#include "planner/search/plan_json.hpp"
#include "planner/search/refine.hpp"
#include "planner/search/serving_search.hpp"
#include "planner/search/sharding.hpp"
#include "planner/search/training_search.hpp"

namespace moesim::cli {

namespace {

namespace ps = planner::search;

constexpr const char* kDefaultPlan = "plan-deepseek-v3-serving";

struct PlanArgs {
  std::string plan = kDefaultPlan;
  bool json = false;
  int top = 0;           // 0 = the plan's
  int jobs = 1;
  bool no_refine = false;
  std::string cache_dir;
  bool timing = false;
};

ps::ProgressFn progress_bar(bool on) {
  if (!on) return {};
  return [](size_t done, size_t total) {
    const int width = 40;
    const double f = total ? static_cast<double>(std::min(done, total)) / static_cast<double>(total) : 1.0;
    const int filled = static_cast<int>(f * width);
    std::fprintf(stderr, "\revaluating [%s%s] %zu/%zu", std::string(static_cast<size_t>(filled), '#').c_str(),
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
  std::printf("\nAnalytical estimates (roofline cost model, alpha-beta collectives; assumptions in --json / `moesim report`).\n");
}

void print_training(const nlohmann::json& doc) {
  std::printf("plan %s: %s (config %s)\n", doc["plan"]["name"].get<std::string>().c_str(),
              doc["model"]["display_name"].get<std::string>().c_str(), doc["config_hash"].get<std::string>().c_str());
  std::printf("searched %zu layouts analytically, %zu feasible\n\n", doc["search"]["candidates_evaluated"].get<size_t>(),
              doc["search"]["feasible"].get<size_t>());
  std::printf("%-4s %-6s %-4s %5s %3s %4s %3s %3s %-8s %2s %-9s %8s %7s %11s %6s %s\n", "RANK", "GPU", "GEMM", "GPUS",
              "PP", "DP", "EP", "TP", "SCHEDULE", "MB", "RECOMPUTE", "STEP s", "DAYS", "$", "MFU", "WHY");
  for (const auto& r : doc["ranked"]) {
    std::printf("%-4d %-6s %-4s %5d %3d %4d %3d %3d %-8s %2d %-9s %8.2f %7.1f %11.0f %5.1f%% %s\n", r["rank"].get<int>(),
                r["gpu"].get<std::string>().c_str(), r["gemm_dtype"].get<std::string>().c_str(), r["total_gpus"].get<int>(),
                r["pp"].get<int>(), r["dp"].get<int>(), r["ep"].get<int>(), r["tp"].get<int>(),
                r["schedule"].get<std::string>().c_str(), r["micro_batch_sequences"].get<int>(),
                r["recompute"].get<std::string>().c_str(), r["step_s"].get<double>(), r["time_to_train_days"].get<double>(),
                r["total_usd"].get<double>(), 100 * r["mfu"].get<double>(), r["why"].get<std::string>().c_str());
  }
}

int run_plan(const PlanArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  Result<configs::PlanSpec> loaded = configs::load_plan_spec(a.plan);
  if (!loaded.ok()) return report_errors(loaded.errors());
  const configs::PlanSpec& plan = loaded.value();
  const int top = a.top > 0 ? a.top : static_cast<int>(plan.top);
  Result<ps::ShardContext> started = ps::start_sharding(a.jobs);
  if (!started.ok()) return report_errors(started.errors());
  const ps::ShardContext ctx = started.value();
  const bool tty = ctx.is_root() && ::isatty(STDERR_FILENO);
  const models::RooflineCostModel cost;
  std::string text;
  int rc = 0;
  if (plan.kind == configs::PlanKind::kServing) {
    const ps::ServingModel heat(plan, cost);
    Result<ps::ServingPlanResult> r = ps::search_serving(plan, cost, ctx, progress_bar(tty));
    if (!r.ok()) {
      rc = ctx.is_root() ? report_errors(r.errors()) : static_cast<int>(r.errors().front().kind);
    } else if (ctx.is_root()) {
      ps::ServingPlanResult result = std::move(r).value();
      const std::string exe = ps::self_executable();
      if (!a.no_refine && !exe.empty()) {
        if (tty) std::fprintf(stderr, "simulating the top %d deployments (moesim simulate serve, %d at a time)...\n", top, a.jobs);
        const ps::SubprocessSimulator child(exe, plan.serving.slo);
        const ps::CachedSimulator cached(child, a.cache_dir);
        ps::refine_top(plan, result.load, &result.ranked, top, cached, a.jobs);
        ps::apply_refinement(&result.ranked, top);
      }
      text = ps::serving_result_json(plan, result, top, &heat);
    }
  } else {
    Result<ps::TrainingPlanResult> r = ps::search_training(plan, cost, ctx, progress_bar(tty));
    if (!r.ok()) {
      rc = ctx.is_root() ? report_errors(r.errors()) : static_cast<int>(r.errors().front().kind);
    } else if (ctx.is_root()) {
      text = ps::training_result_json(plan, r.value(), top);
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
  sub->add_option("--top", a->top, "Rows to list and to refine by simulation (default: the plan's `top`)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--jobs", a->jobs, "Local threads for evaluation and simulations")->check(CLI::Range(1, 256));
  sub->add_flag("--no-refine", a->no_refine, "Analytical estimates only (skip the child-process simulations)");
  sub->add_option("--cache", a->cache_dir, "Directory caching simulation results by scenario hash");
  sub->add_flag("--timing", a->timing, "Print the wall time on stderr");
  runner.on(sub, [a] { return run_plan(*a); });
}

}  // namespace moesim::cli
