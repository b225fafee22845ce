#include "planner/search/plan_json.hpp"

#include "models/hash.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>

namespace moesim::planner::search {

namespace {

using nlohmann::json;

std::string dt(models::DType d) { return std::string(models::to_string(d)); }

json gpus_json(const configs::PlanSpec& plan) {
  json out = json::array();
  for (const auto& g : plan.gpus) {
    out.push_back({{"name", g.gpu_name},
                   {"node", g.node.name},
                   {"gpus_per_node", g.node.gpus_per_node},
                   {"price_usd_per_gpu_hour", g.price_usd_per_gpu_hour},
                   {"tdp_w", g.node.gpu.tdp_w},
                   {"hbm_bytes", g.node.gpu.usable_hbm_bytes > 0 ? g.node.gpu.usable_hbm_bytes : g.node.gpu.hbm_bytes}});
  }
  return out;
}

json assumptions_json(const configs::PlanSpec& plan, const std::string& cost_model) {
  const auto& a = plan.assumptions;
  json rows = json::array();
  auto add = [&](const std::string& name, double value, const std::string& unit, const std::string& note) {
    rows.push_back({{"name", name}, {"value", value}, {"unit", unit}, {"note", note}});
  };
  for (const auto& g : plan.gpus)
    add("price." + g.gpu_name, g.price_usd_per_gpu_hour, "$/GPU-hour", "catalog default unless the plan overrides it");
  add("electricity", a.electricity_usd_per_kwh, "$/kWh", "power cost if the GPUs are owned (not in the rental $)");
  add("pue", a.pue, "", "facility power / IT power");
  add("power_utilization", a.power_utilization, "of TDP", "average GPU draw");
  add("node_overhead", a.node_overhead_w, "W/node", "CPUs, NICs, fans");
  add("target_utilization", a.target_utilization, "", "serving: average fraction of fleet capacity in use");
  if (plan.kind == configs::PlanKind::kServing) {
    const auto& s = plan.serving;
    add("expert_zipf_exponent", s.expert_zipf_exponent, "", "assumed expert-popularity skew before EPLB");
    add("mtp_draft_tokens", static_cast<double>(s.mtp_draft_tokens), "", "speculative tokens per decode step");
    add("mtp_acceptance_rate", s.mtp_acceptance_rate, "", "probability a draft token is accepted");
    add("activation_reserve", s.activation_reserve_bytes, "bytes/GPU", "HBM kept for activations and buffers");
  }
  add("cost_model", 0, "", cost_model + " for ops; α-β from the cluster spec for collectives");
  return rows;
}

json instance_json(const InstanceCandidate& c, const InstanceEstimate& e, int instances, const configs::PlanSpec& plan) {
  const int gpus = instance_gpus(c, plan);
  return {{"nodes", c.nodes},
          {"gpus", gpus},
          {"instances", instances},
          {"attention", c.attention_tp == 1 ? "dp" : "tp"},
          {"attention_tp", c.attention_tp},
          {"attention_dp", gpus / c.attention_tp},
          {"ep", gpus},
          {"redundant_experts", c.redundant_experts},
          {"experts_per_gpu", (plan.model.moe.num_routed_experts + c.redundant_experts) / gpus},
          {c.role == InstanceRole::kDecode ? "batch_per_gpu" : "tokens_per_gpu", c.batch},
          {"step_s", e.step_s},
          {"compute_s", e.compute_s},
          {"comm_s", e.comm_s},
          {c.role == InstanceRole::kDecode ? "tpot_s" : "ttft_s", e.latency_s},
          {"capacity_tokens_per_s", e.capacity_tokens_per_s},
          {"capacity_tokens_per_s_per_node", e.capacity_tokens_per_s / c.nodes},
          {"hbm_used_bytes", e.hbm_used_bytes},
          {"hbm_usable_bytes", e.hbm_usable_bytes},
          {"weight_bytes_per_gpu", e.weight_bytes_per_gpu},
          {"kv_bytes_per_gpu", e.kv_bytes_per_gpu},
          {"expert_imbalance", e.expert_imbalance},
          {"binding", binding_name(e.binding)}};
}

json deployment_json(const DeploymentPlan& d, size_t rank, const configs::PlanSpec& plan) {
  json row = {{"rank", rank},
              {"key", d.key},
              {"gpu", plan.gpus[static_cast<size_t>(d.decode.gpu_index)].gpu_name},
              {"weight_dtype", dt(d.decode.weight_dtype)},
              {"kv_cache_dtype", dt(d.decode.kv_dtype)},
              {"dispatch_dtype", dt(d.decode.dispatch_dtype)},
              {"prefill", instance_json(d.prefill, d.prefill_est, d.prefill_instances, plan)},
              {"decode", instance_json(d.decode, d.decode_est, d.decode_instances, plan)},
              {"total_gpus", d.total_gpus},
              {"total_nodes", d.total_nodes},
              {"usd_per_hour", d.usd_per_hour},
              {"usd_per_day", d.usd_per_hour * 24},
              {"usd_per_m_output_tokens", d.usd_per_m_output_tokens},
              {"output_tokens_per_s_per_gpu", d.output_tokens_per_s_per_gpu},
              {"power_kw", d.power_kw},
              {"energy_usd_per_m_output_tokens", d.energy_usd_per_m_output_tokens},
              {"gpu_hours_per_day", d.gpu_hours_per_day},
              {"pareto", d.pareto},
              {"why", d.why}};
  if (d.simulated.ok || !d.simulated.error.empty()) {
    row["simulated"] = {{"ok", d.simulated.ok},
                        {"error", d.simulated.error},
                        {"ttft_p_s", d.simulated.ttft_p_s},
                        {"tpot_p_s", d.simulated.tpot_p_s},
                        {"output_tokens_per_s_per_gpu", d.simulated.output_tokens_per_s_per_gpu},
                        {"meets_slo", d.simulated.meets_slo}};
  }
  return row;
}

json training_simulated_json(const TrainingSimulated& s) {
  json j = {{"ran", s.ran}, {"ok", s.ok}, {"error", s.error}, {"fits", s.fits}, {"analytical_rank", s.analytical_rank}};
  if (!s.ok) return j;
  j.update({{"step_s", s.step_s}, {"bubble_s", s.bubble_s}, {"exposed_comm_s", s.exposed_comm_s},
            {"memory_per_gpu_bytes", s.memory_per_gpu_bytes}, {"hbm_bytes", s.hbm_bytes},
            {"time_to_train_days", s.time_to_train_s / 86400}, {"gpu_hours", s.gpu_hours}, {"total_usd", s.total_usd},
            {"mfu", s.mfu}, {"mfu_causal", s.mfu_causal}, {"meets_deadline", s.meets_deadline}});
  return j;
}

json heatmap_json(const DeploymentPlan& d, const ServingModel& model, const configs::PlanSpec& plan) {
  const int gpus = instance_gpus(d.decode, plan);
  const auto matrix = model.gpu_load_matrix(gpus, d.decode.nodes, d.decode.redundant_experts);
  return {{"instance", "decode"},
          {"source", "EPLB (planner::place_deepseek) of Zipf-skewed loads, exponent " +
                         std::to_string(plan.serving.expert_zipf_exponent).substr(0, 4) + "; mean 1 per layer"},
          {"gpus", gpus},
          {"redundant_experts", d.decode.redundant_experts},
          {"layers", matrix}};
}

json header(const configs::PlanSpec& plan, const std::string& cost_model) {
  const std::string resolved = plan_json(plan);
  return {{"schema_version", kPlanSchemaVersion},
          {"kind", configs::plan_kind_name(plan.kind)},
          {"plan", json::parse(resolved)},
          {"config_hash", fnv1a_hex(resolved)},
          {"seed", plan.seed},
          {"model", {{"name", plan.model.name}, {"display_name", plan.model.display_name}, {"what_if", plan.model.what_if}}},
          {"gpus", gpus_json(plan)},
          {"assumptions", assumptions_json(plan, cost_model)},
          {"cost_model", cost_model},
          {"method", "analytical level (a): op graphs + cost model + alpha-beta collectives; top rows "
                     "refined by `moesim simulate` in child processes where available"}};
}

}  // namespace


std::string plan_json(const configs::PlanSpec& plan) {
  json p = {{"name", plan.name}, {"kind", configs::plan_kind_name(plan.kind)}, {"model", plan.model_name},
            {"objective", plan.objective}, {"top", plan.top}, {"seed", plan.seed}};
  json gpus = json::array();
  for (const auto& g : plan.gpus) gpus.push_back({{"name", g.gpu_name}, {"cluster", g.cluster_name}, {"price", g.price_usd_per_gpu_hour}});
  p["gpus"] = gpus;
  if (plan.kind == configs::PlanKind::kServing) {
    const auto& s = plan.serving;
    auto dts = [](const std::vector<models::DType>& v) {
      json a = json::array();
      for (auto d : v) a.push_back(dt(d));
      return a;
    };
    p["serving"] = {{"input_tokens_per_day", s.load.input_tokens_per_day},
                    {"output_tokens_per_day", s.load.output_tokens_per_day},
                    {"prefix_cache_hit_rate", s.load.prefix_cache_hit_rate},
                    {"mean_kv_tokens", s.load.mean_kv_tokens},
                    {"slo", {{"ttft_s", s.slo.ttft_s}, {"ttft_percentile", s.slo.ttft_percentile},
                             {"tpot_s", s.slo.tpot_s}, {"tpot_percentile", s.slo.tpot_percentile}}},
                    {"max_gpus", s.max_gpus},
                    {"max_usd_per_hour", s.max_usd_per_hour},
                    {"space", {{"weight_dtype", dts(s.space.weight_dtypes)}, {"kv_cache_dtype", dts(s.space.kv_cache_dtypes)},
                               {"dispatch_dtype", dts(s.space.dispatch_dtypes)}, {"prefill_nodes", s.space.prefill_nodes},
                               {"decode_nodes", s.space.decode_nodes}, {"attention_tp", s.space.attention_tp},
                               {"redundant_experts", s.space.redundant_experts},
                               {"decode_batch_per_gpu", s.space.decode_batch_per_gpu},
                               {"prefill_tokens_per_gpu", s.space.prefill_tokens_per_gpu}}}};
  } else {
    const auto& t = plan.training;
    p["training"] = {{"tokens", t.tokens}, {"deadline_s", t.deadline_s}, {"global_batch_sequences", t.global_batch_sequences},
                     {"sequence_tokens", t.sequence_tokens}, {"max_gpus", t.max_gpus},
                     {"space", {{"nodes", t.space.nodes}, {"pp", t.space.pp}, {"ep", t.space.ep}, {"tp", t.space.tp},
                                {"micro_batch_sequences", t.space.micro_batch_sequences}, {"recompute", t.space.recompute}}}};
  }
  return p.dump();
}

std::string serving_result_json(const configs::PlanSpec& plan, const ServingPlanResult& result, int top,
                                const ServingModel* heatmap_model, const std::string& cost_model) {
  json doc = header(plan, cost_model);
  const ServingLoad& l = result.load;
  doc["load"] = {{"prefill_tokens_per_s", l.prefill_tokens_per_s}, {"input_tokens_per_s", l.input_tokens_per_s},
                 {"output_tokens_per_s", l.output_tokens_per_s}, {"mean_input_tokens", l.mean_input_tokens},
                 {"mean_output_tokens", l.mean_output_tokens}, {"requests_per_s", l.requests_per_s}};
  json infeasible = json::object();
  for (const auto& [k, v] : result.stats.infeasible_by_binding) infeasible[k] = v;
  doc["search"] = {{"instance_candidates_evaluated", result.stats.instance_candidates},
                   {"feasible_prefill", result.stats.feasible_prefill},
                   {"feasible_decode", result.stats.feasible_decode},
                   {"infeasible_by_binding", infeasible},
                   {"deployments_covered", result.stats.deployments_covered},
                   {"deployments_ranked", result.stats.deployments_ranked}};
  json ranked = json::array(), pareto = json::array(), best_per_gpu = json::object();
  for (size_t i = 0; i < result.ranked.size(); ++i) {
    const DeploymentPlan& d = result.ranked[i];
    const std::string gpu = plan.gpus[static_cast<size_t>(d.decode.gpu_index)].gpu_name;
    const bool first_of_gpu = !best_per_gpu.contains(gpu);
    if (static_cast<int>(i) < top || d.pareto || first_of_gpu) {
      json row = deployment_json(d, i + 1, plan);
      if (static_cast<int>(i) < top) ranked.push_back(row);
      if (d.pareto) pareto.push_back(row);
      if (first_of_gpu) best_per_gpu[gpu] = row;
    }
  }
  doc["ranked"] = ranked;
  doc["pareto"] = pareto;
  doc["best_per_gpu"] = best_per_gpu;
  if (heatmap_model && !result.ranked.empty()) doc["expert_load"] = heatmap_json(result.ranked.front(), *heatmap_model, plan);
  return doc.dump(2);
}

std::string training_result_json(const configs::PlanSpec& plan, const TrainingPlanResult& result, int top,
                                 const std::string& cost_model) {
  json doc = header(plan, cost_model);
  json infeasible = json::object();
  for (const auto& [k, v] : result.infeasible_by_binding) infeasible[k] = v;
  doc["search"] = {{"candidates_evaluated", result.candidates}, {"feasible", result.feasible}, {"infeasible_by_binding", infeasible}};
  json ranked = json::array(), pareto = json::array(), best_per_gpu = json::object();
  for (size_t i = 0; i < result.ranked.size(); ++i) {
    const TrainingPlanRow& r = result.ranked[i];
    const TrainingCandidate& c = r.candidate;
    const TrainingEstimate& e = r.estimate;
    const std::string gpu = plan.gpus[static_cast<size_t>(c.gpu_index)].gpu_name;
    const bool first_of_gpu = !best_per_gpu.contains(gpu);
    // Simulated rows are listed wherever they rank (the best simulable layouts may rank below `top`).
    const bool listed = static_cast<int>(i) < top || r.simulated.ran;
    if (!listed && !r.pareto && !first_of_gpu) continue;
    const int gpus = c.nodes * plan.gpus[static_cast<size_t>(c.gpu_index)].node.gpus_per_node;
    json row = {{"rank", i + 1}, {"key", r.key}, {"gpu", gpu}, {"gemm_dtype", dt(c.gemm_dtype)},
                {"nodes", c.nodes}, {"total_gpus", gpus}, {"pp", c.pp}, {"dp", c.dp}, {"ep", c.ep}, {"tp", c.tp},
                {"schedule", configs::schedule_name(c.schedule)}, {"micro_batch_sequences", c.micro_batch},
                {"recompute", c.recompute == 0 ? "none" : c.recompute == 1 ? "selective" : "full"},
                {"step_s", e.step_s}, {"compute_s", e.compute_s}, {"bubble_s", e.bubble_s},
                {"comm_exposed_s", e.comm_exposed_s}, {"hbm_used_bytes", e.hbm_used_bytes},
                {"hbm_usable_bytes", e.hbm_usable_bytes}, {"time_to_train_days", e.time_to_train_s / 86400},
                {"gpu_hours", e.gpu_hours}, {"total_usd", e.total_usd}, {"mfu", e.mfu},
                {"power_kw", gpus * plan.gpus[static_cast<size_t>(c.gpu_index)].node.gpu.tdp_w *
                                 plan.assumptions.power_utilization * plan.assumptions.pue / 1e3},
                {"pareto", r.pareto}, {"why", r.why}};
    if (r.simulated.ran || !r.simulated.error.empty()) row["simulated"] = training_simulated_json(r.simulated);
    if (listed) ranked.push_back(row);
    if (r.pareto) pareto.push_back(row);
    if (first_of_gpu) best_per_gpu[gpu] = row;
  }
  doc["ranked"] = ranked;
  doc["pareto"] = pareto;
  doc["best_per_gpu"] = best_per_gpu;
  return doc.dump(2);
}

}  // namespace moesim::planner::search
