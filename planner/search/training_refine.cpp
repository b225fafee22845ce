#include "planner/search/training_refine.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <tuple>

#include "models/memory.hpp"
#include "models/param_count.hpp"

namespace moesim::planner::search {

namespace {

const char* recompute_name(int r) { return r == 0 ? "none" : r == 1 ? "selective" : "full"; }

// The child's message without "moesim: error: ", the scenario's path and the advice that follows.
std::string money(double usd) {
  char buf[32];
  if (usd >= 1e6) std::snprintf(buf, sizeof buf, "$%.2fM", usd / 1e6);
  else std::snprintf(buf, sizeof buf, "$%.0f", usd);
  return buf;
}

std::string clean_error(std::string e) {
  for (const char* prefix : {"moesim: error: ", "@DIR@/scenario.yaml: "}) {
    if (e.rfind(prefix, 0) == 0) e.erase(0, std::string(prefix).size());
  }
  const size_t advice = e.find("; try ");
  return advice == std::string::npos ? e : e.substr(0, advice);
}

double score(const configs::PlanSpec& plan, double time_s, double usd, double mfu) {
  if (plan.objective == "cost") return usd;
  if (plan.objective == "mfu") return -mfu;
  return time_s;
}

// 0: simulated, fits, meets the deadline; 1: failed or not simulated; 2: does not fit or too slow.
int group_of(const TrainingSimulated& s) {
  if (!s.fits || (s.ok && !s.meets_deadline)) return 2;
  return s.ok ? 0 : 1;
}

// Only simulated rows move, so only their "best on GPU" (search_training's why) can be out of date.
void retag_best_per_gpu(const configs::PlanSpec& plan, std::vector<TrainingPlanRow>* ranked) {
  std::vector<bool> seen(plan.gpus.size(), false);
  for (TrainingPlanRow& r : *ranked) {
    const size_t g = static_cast<size_t>(r.candidate.gpu_index);
    const bool first = !seen[g];
    seen[g] = true;
    if (!r.simulated.ran) continue;
    const std::string tag = "; best on " + plan.gpus[g].gpu_name;
    size_t at = r.why.find(tag);
    while (at != std::string::npos && at + tag.size() < r.why.size() && r.why[at + tag.size()] != ';')
      at = r.why.find(tag, at + 1);
    if (first && at == std::string::npos) r.why += tag + " after simulation";
    if (!first && at != std::string::npos) r.why.insert(at + tag.size(), " analytically");
  }
}

}  // namespace

ScenarioFiles training_scenario_for(const configs::PlanSpec& plan, const TrainingCandidate& c) {
  const configs::PlanGpuSpec& g = plan.gpus[static_cast<size_t>(c.gpu_index)];
  const configs::TrainingPlanSpec& t = plan.training;
  const models::TrainingStateSpec state;  // what TrainingModel::evaluate assumes
  const bool bf16 = c.gemm_dtype == models::DType::kBf16;
  ScenarioFiles f;
  f.command = "train";
  f.files.emplace_back("cluster.yaml", cluster_yaml(g.node, c.nodes));
  std::ostringstream y;
  y << "kind: train\nname: plan-refine\nsource: \"written by moesim plan: " << canonical_key(c, plan) << "\"\n"
    << "model: " << plan.model_name << "\ncluster: @DIR@/cluster.yaml\n"
    << "schedule: " << configs::schedule_name(c.schedule) << "\n"
    << "parallelism: {pp: " << c.pp << ", dp: " << c.dp << ", ep: " << c.ep << ", tp: " << c.tp << "}\n"
    << "batch: {global_sequences: " << t.global_batch_sequences << ", sequence_tokens: " << t.sequence_tokens
    << ", micro_batch_sequences: " << c.micro_batch << "}\n"
    // The analytical level sends FP8 dispatch payloads whenever the GEMMs are not BF16.
    << "precision: {gemm: " << models::to_string(c.gemm_dtype) << ", dispatch: " << (bf16 ? "bf16" : "fp8")
    << ", combine: bf16}\n"
    << "communication: {enabled: true, overlap: true, sms: 20, routing_seed: " << plan.seed << "}\n"
    << "memory:\n  recompute: " << recompute_name(c.recompute) << "\n  zero: 1\n"
    << "  weight_bytes: " << yaml_number(state.weight_bytes) << "\n  gradient_bytes: " << yaml_number(state.gradient_bytes)
    << "\n  master_weight_bytes: " << yaml_number(state.master_weight_bytes)
    << "\n  optimizer_state_bytes: " << yaml_number(state.optimizer_state_bytes) << "\n  hbm_check: error\n"
    << "cost: {price_usd_per_gpu_hour: " << yaml_number(g.price_usd_per_gpu_hour)
    << ", token_budget: " << yaml_number(t.tokens) << "}\n";
  f.scenario_yaml = y.str();
  return f;
}

TrainingSimulated train_metrics_of(const SimulationRun& run, const configs::PlanSpec& plan, const TrainingCandidate& c) {
  TrainingSimulated s;
  s.cached = run.cached;
  if (run.exit_code == 3) {
    s.fits = false;
    s.error = clean_error(run.error);
    return s;
  }
  if (run.exit_code != 0) {
    s.error = "simulate train exited " + std::to_string(run.exit_code) + ": " + clean_error(run.error);
    return s;
  }
  const nlohmann::json j = nlohmann::json::parse(run.json, nullptr, false);
  try {
    if (j.is_discarded() || !j.is_object() || !j.contains("step_time_s")) throw std::runtime_error("no step_time_s");
    s.step_s = j.at("step_time_s").get<double>();
    s.bubble_s = j.at("breakdown_s").at("bubble").get<double>();
    s.exposed_comm_s = j.at("breakdown_s").at("exposed_comm").get<double>();
    s.memory_per_gpu_bytes = j.at("memory_per_gpu_bytes").get<double>();
    s.hbm_bytes = j.at("hbm_bytes").get<double>();
    s.mfu_causal = j.at("mfu_causal").get<double>();
    s.fits = j.value("memory_fits", true);
  } catch (const std::exception& e) {
    s.error = std::string("unexpected simulate train JSON: ") + e.what();
    return s;
  }
  if (!(s.step_s > 0)) {
    s.error = "simulate train reported a step time of " + yaml_number(s.step_s) + " s";
    return s;
  }
  const configs::PlanGpuSpec& g = plan.gpus[static_cast<size_t>(c.gpu_index)];
  const configs::TrainingPlanSpec& t = plan.training;
  const double tokens_per_step = static_cast<double>(t.global_batch_sequences * t.sequence_tokens);
  const double gpus = static_cast<double>(c.nodes) * g.node.gpus_per_node;
  s.time_to_train_s = t.tokens / tokens_per_step * s.step_s;
  s.gpu_hours = gpus * s.time_to_train_s / 3600;
  s.total_usd = s.gpu_hours * g.price_usd_per_gpu_hour;
  s.mfu = models::training_flops_per_token(plan.model, t.sequence_tokens) * tokens_per_step / s.step_s /
          (gpus * models::peak_flops_for(g.node.gpu, models::DType::kBf16));
  s.meets_deadline = t.deadline_s <= 0 || s.time_to_train_s <= t.deadline_s;
  s.ok = true;
  return s;
}

std::string not_simulable_reason(const configs::PlanSpec& plan, const TrainingCandidate& c) {
  const std::string tp = "tp = " + std::to_string(c.tp);
  const int64_t gpn = plan.gpus[static_cast<size_t>(c.gpu_index)].node.gpus_per_node;
  if (c.tp < 1 || gpn % c.tp != 0) return tp + " does not divide the " + std::to_string(gpn) + " GPUs of a node";
  if (plan.model.attention.num_heads % c.tp != 0)
    return tp + " does not divide the model's " + std::to_string(plan.model.attention.num_heads) + " attention heads";
  if ((static_cast<int64_t>(c.micro_batch) * plan.training.sequence_tokens) % c.tp != 0)
    return tp + " does not divide a micro-batch's tokens";
  return "";
}

void refine_training_top(const configs::PlanSpec& plan, std::vector<TrainingPlanRow>* ranked, int k,
                         const ScenarioRunner& runner, int jobs, const ProgressFn& progress) {
  std::vector<size_t> chosen;
  for (size_t i = 0; i < ranked->size() && chosen.size() < static_cast<size_t>(std::max(0, k)); ++i) {
    TrainingPlanRow& r = (*ranked)[i];
    const std::string why_not = not_simulable_reason(plan, r.candidate);
    if (why_not.empty()) {
      chosen.push_back(i);
    } else {
      r.simulated.error = why_not;
    }
  }
  for_each_parallel(chosen.size(), jobs, [&](size_t j) {
    TrainingPlanRow& r = (*ranked)[chosen[j]];
    r.simulated = train_metrics_of(runner.run(training_scenario_for(plan, r.candidate)), plan, r.candidate);
    r.simulated.ran = true;
  }, progress);
}

void apply_training_refinement(const configs::PlanSpec& plan, std::vector<TrainingPlanRow>* ranked) {
  std::vector<size_t> slots;
  std::vector<TrainingPlanRow> rows;
  for (size_t i = 0; i < ranked->size(); ++i) {
    TrainingPlanRow& r = (*ranked)[i];
    if (!r.simulated.ran) {
      if (!r.simulated.error.empty()) r.why += "; not simulated (" + r.simulated.error + ")";
      continue;
    }
    r.simulated.analytical_rank = static_cast<int>(i + 1);
    slots.push_back(i);
    rows.push_back(std::move(r));
  }
  auto key = [&](const TrainingPlanRow& r) {
    const TrainingSimulated& s = r.simulated;
    const int group = group_of(s);
    // Only the first group is re-ordered by its simulated figures; the others keep the analytical order.
    const double v = group == 0 ? score(plan, s.time_to_train_s, s.total_usd, s.mfu) : 0.0;
    return std::make_tuple(group, v, group == 0 ? r.key : std::string());
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const TrainingPlanRow& a, const TrainingPlanRow& b) { return key(a) < key(b); });
  for (size_t j = 0; j < slots.size(); ++j) {
    TrainingPlanRow& r = (*ranked)[slots[j]] = std::move(rows[j]);
    const TrainingSimulated& s = r.simulated;
    char buf[256];
    if (!s.fits) {
      r.why += "; simulation: does not fit (" + s.error + ")";
    } else if (!s.ok) {
      r.why += "; simulation failed (" + s.error + ")";
    } else {
      std::snprintf(buf, sizeof buf, "; simulated step %.2f s (%+.0f %% vs analytical): %.1f days, %s, MFU %.1f %%",
                    s.step_s, 100 * (s.step_s / r.estimate.step_s - 1), s.time_to_train_s / 86400,
                    money(s.total_usd).c_str(), 100 * s.mfu);
      r.why += buf;
      if (!s.meets_deadline) r.why += ", misses the deadline";
    }
    if (s.analytical_rank != static_cast<int>(slots[j] + 1)) {
      std::snprintf(buf, sizeof buf, "; simulation moves it from #%d to #%zu", s.analytical_rank, slots[j] + 1);
      r.why += buf;
    }
  }
  retag_best_per_gpu(plan, ranked);
}

}  // namespace moesim::planner::search
