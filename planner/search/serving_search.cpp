#include "planner/search/serving_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

namespace moesim::planner::search {

namespace {

std::string fmt(const char* format, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, a, b, c);
  return buf;
}

struct Sized {
  size_t index;
  int instances;
  int gpus;
};

Sized size_pool(size_t index, const InstanceCandidate& c, const InstanceEstimate& e, double load_tokens_per_s,
                double utilization, const configs::PlanSpec& plan) {
  const double per_instance = e.capacity_tokens_per_s * utilization;
  const int instances = std::max(1, static_cast<int>(std::ceil(load_tokens_per_s / per_instance - 1e-9)));
  return Sized{index, instances, instances * instance_gpus(c, plan)};
}

// Fewest GPUs first, then lower latency, then key (deterministic).
template <class Key>
void sort_sized(std::vector<Sized>* v, const std::vector<InstanceEstimate>& est, const Key& key) {
  std::sort(v->begin(), v->end(), [&](const Sized& a, const Sized& b) {
    return std::make_tuple(a.gpus, est[a.index].latency_s, key(a.index)) <
           std::make_tuple(b.gpus, est[b.index].latency_s, key(b.index));
  });
}

std::string why_row(const DeploymentPlan& d, const configs::PlanSpec& plan, bool best_in_gpu) {
  const auto& slo = plan.serving.slo;
  std::string why;
  const InstanceEstimate& de = d.decode_est;
  const auto& batches = plan.serving.space.decode_batch_per_gpu;
  const bool at_space_edge = d.decode.batch == *std::max_element(batches.begin(), batches.end());
  if (at_space_edge && de.latency_s < 0.95 * slo.tpot_s && de.hbm_used_bytes < 0.95 * de.hbm_usable_bytes) {
    why = fmt("the space's largest decode batch (%.0f/GPU) binds: TPOT %.1f ms, HBM %.0f %% full", d.decode.batch,
              de.latency_s * 1e3, 100 * de.hbm_used_bytes / de.hbm_usable_bytes);
  } else if (de.binding == Binding::kTpot) {
    why = fmt("decode TPOT %.1f of %.0f ms binds the batch", de.latency_s * 1e3, slo.tpot_s * 1e3);
  } else {
    why = fmt("decode HBM %.0f %% full binds the batch (TPOT %.1f ms)", 100 * de.hbm_used_bytes / de.hbm_usable_bytes,
              de.latency_s * 1e3);
  }
  why += fmt("; prefill TTFT p%.0f %.2f of %.1f s", slo.ttft_percentile * 100, d.prefill_est.latency_s, slo.ttft_s);
  if (d.pareto) why += "; Pareto-optimal";
  if (best_in_gpu) why += "; best on " + plan.gpus[static_cast<size_t>(d.decode.gpu_index)].gpu_name;
  return why;
}

DeploymentPlan make_deployment(const configs::PlanSpec& plan, const std::vector<InstanceCandidate>& cands,
                               const std::vector<InstanceEstimate>& est, const std::vector<std::string>& keys,
                               const Sized& p, const Sized& d, const ServingLoad& load) {
  DeploymentPlan dep;
  dep.prefill = cands[p.index];
  dep.decode = cands[d.index];
  dep.prefill_est = est[p.index];
  dep.decode_est = est[d.index];
  dep.key = keys[p.index] + " + " + keys[d.index];
  dep.prefill_instances = p.instances;
  dep.decode_instances = d.instances;
  dep.total_gpus = p.gpus + d.gpus;
  const configs::PlanGpuSpec& g = plan.gpus[static_cast<size_t>(dep.decode.gpu_index)];
  dep.total_nodes = dep.total_gpus / g.node.gpus_per_node;
  dep.usd_per_hour = dep.total_gpus * g.price_usd_per_gpu_hour;
  const double tokens_per_hour = load.output_tokens_per_s * 3600;
  dep.usd_per_m_output_tokens = dep.usd_per_hour / tokens_per_hour * 1e6;
  dep.output_tokens_per_s_per_gpu = load.output_tokens_per_s / dep.total_gpus;
  const configs::PlanAssumptions& a = plan.assumptions;
  dep.power_kw = (dep.total_gpus * g.node.gpu.tdp_w * a.power_utilization + dep.total_nodes * a.node_overhead_w) * a.pue / 1e3;
  dep.energy_usd_per_m_output_tokens = dep.power_kw * a.electricity_usd_per_kwh / tokens_per_hour * 1e6;
  dep.gpu_hours_per_day = dep.total_gpus * 24.0;
  return dep;
}

// The infeasibility message when no deployment survives: which constraint bound, with the best value seen.
Error no_plan_error(const configs::PlanSpec& plan, const std::vector<InstanceCandidate>& cands,
                    const std::vector<InstanceEstimate>& est) {
  const auto& slo = plan.serving.slo;
  for (InstanceRole role : {InstanceRole::kDecode, InstanceRole::kPrefill}) {
    double best_latency = 1e300, least_hbm = 1e300;
    bool any = false;
    for (size_t i = 0; i < cands.size(); ++i) {
      if (cands[i].role != role) continue;
      any = any || est[i].feasible;
      least_hbm = std::min(least_hbm, est[i].hbm_used_bytes / est[i].hbm_usable_bytes);
      if (est[i].binding != Binding::kHbm && est[i].step_s > 0) best_latency = std::min(best_latency, est[i].latency_s);
    }
    if (any) continue;
    const bool decode = role == InstanceRole::kDecode;
    if (best_latency >= 1e300) {
      return infeasible(plan.display_path + ": hbm binds: no " + role_name(role) + " instance fits in GPU memory (least use " +
                        fmt("%.0f %%", 100 * least_hbm) + " of usable HBM); allow more nodes, fp8/fp4 weights or smaller batches");
    }
    return infeasible(plan.display_path + ": serving.slo." + (decode ? "tpot" : "ttft") + " binds: no " + role_name(role) +
                      " instance meets " + (decode ? fmt("TPOT <= %.1f ms", slo.tpot_s * 1e3) : fmt("TTFT <= %.2f s", slo.ttft_s)) +
                      " (best " + (decode ? fmt("%.1f ms", best_latency * 1e3) : fmt("%.2f s", best_latency)) + ")");
  }
  return infeasible(plan.display_path + ": no GPU type has both a feasible prefill and a feasible decode instance");
}

}  // namespace

std::vector<bool> pareto_front(const std::vector<std::vector<double>>& points) {
  std::vector<bool> front(points.size(), true);
  for (size_t i = 0; i < points.size(); ++i) {
    for (size_t j = 0; j < points.size() && front[i]; ++j) {
      if (i == j) continue;
      bool no_worse = true, better = false;
      for (size_t k = 0; k < points[i].size(); ++k) {
        no_worse = no_worse && points[j][k] <= points[i][k];
        better = better || points[j][k] < points[i][k];
      }
      if (no_worse && better) front[i] = false;
    }
  }
  return front;
}

void rank_deployments(const std::string& objective, std::vector<DeploymentPlan>* deps) {
  auto score = [&](const DeploymentPlan& d) {
    if (objective == "gpus") return static_cast<double>(d.total_gpus);
    if (objective == "throughput") return -d.output_tokens_per_s_per_gpu;
    return d.usd_per_m_output_tokens;
  };
  std::sort(deps->begin(), deps->end(), [&](const DeploymentPlan& a, const DeploymentPlan& b) {
    return std::make_tuple(score(a), a.total_gpus, a.key) < std::make_tuple(score(b), b.total_gpus, b.key);
  });
  std::vector<std::vector<double>> points;
  for (const auto& d : *deps)
    points.push_back({d.usd_per_m_output_tokens, static_cast<double>(d.total_gpus), d.decode_est.latency_s});
  const std::vector<bool> front = pareto_front(points);
  for (size_t i = 0; i < deps->size(); ++i) (*deps)[i].pareto = front[i];
}

Result<ServingPlanResult> search_serving(const configs::PlanSpec& plan, const models::CostModel& cost,
                                         const ShardContext& ctx, const ProgressFn& progress) {
  return search_serving(plan, ServingModel(plan, cost), ctx, progress);
}

Result<ServingPlanResult> search_serving(const configs::PlanSpec& plan, const ServingModel& model,
                                         const ShardContext& ctx, const ProgressFn& progress) {
  const std::vector<InstanceCandidate> cands = enumerate_serving(plan);
  const std::vector<double> table = evaluate_sharded(
      cands.size(), kEstimateFields,
      [&](size_t i, double* row) {
        const std::vector<double> packed = pack(model.evaluate(cands[i]));
        std::copy(packed.begin(), packed.end(), row);
      },
      ctx, [&](size_t done) { if (progress) progress(done * static_cast<size_t>(ctx.size), cands.size()); });
  if (!ctx.is_root()) return ServingPlanResult{};
  ServingPlanResult result;
  result.load = model.load();
  result.stats.instance_candidates = cands.size();
  std::vector<InstanceEstimate> est;
  std::vector<std::string> keys;
  for (size_t i = 0; i < cands.size(); ++i) {
    est.push_back(unpack(table.data() + i * kEstimateFields));
    keys.push_back(canonical_key(cands[i], plan));
    const bool prefill = cands[i].role == InstanceRole::kPrefill;
    if (est[i].feasible) {
      ++(prefill ? result.stats.feasible_prefill : result.stats.feasible_decode);
    } else {
      ++result.stats.infeasible_by_binding[std::string(role_name(cands[i].role)) + ":" + binding_name(est[i].binding)];
    }
  }
  // Group feasible instances by precision, sized for the load.
  const double rho = plan.assumptions.target_utilization;
  std::map<PrecisionKey, std::pair<std::vector<Sized>, std::vector<Sized>>> pools;
  for (size_t i = 0; i < cands.size(); ++i) {
    if (!est[i].feasible) continue;
    const bool prefill = cands[i].role == InstanceRole::kPrefill;
    const double load = prefill ? result.load.prefill_tokens_per_s : result.load.output_tokens_per_s;
    auto& pool = pools[precision_of(cands[i])];
    (prefill ? pool.first : pool.second).push_back(size_pool(i, cands[i], est[i], load, rho, plan));
  }
  std::vector<DeploymentPlan> deps;
  size_t budget_rejected = 0;
  int least_gpus = 0;
  double least_usd = 0;
  auto key_of = [&](size_t i) { return keys[i]; };
  for (auto& [precision, pool] : pools) {
    auto& [pre, dec] = pool;
    if (pre.empty() || dec.empty()) continue;
    result.stats.deployments_covered += static_cast<double>(pre.size()) * static_cast<double>(dec.size());
    sort_sized(&pre, est, key_of);
    sort_sized(&dec, est, key_of);
    pre.resize(std::min<size_t>(pre.size(), 2));
    std::vector<Sized> dec_front;  // (GPUs, TPOT) Pareto: keep decode pools that buy lower TPOT with more GPUs
    double best_tpot = 1e300;
    for (const Sized& d : dec) {
      if (est[d.index].latency_s < best_tpot && dec_front.size() < 8) {
        dec_front.push_back(d);
        best_tpot = est[d.index].latency_s;
      }
    }
    for (const Sized& p : pre) {
      for (const Sized& d : dec_front) {
        DeploymentPlan dep = make_deployment(plan, cands, est, keys, p, d, result.load);
        const bool over_gpus = plan.serving.max_gpus > 0 && dep.total_gpus > plan.serving.max_gpus;
        const bool over_usd = plan.serving.max_usd_per_hour > 0 && dep.usd_per_hour > plan.serving.max_usd_per_hour;
        if (over_gpus || over_usd) {
          ++budget_rejected;
          if (least_gpus == 0 || dep.total_gpus < least_gpus) least_gpus = dep.total_gpus;
          if (least_usd == 0 || dep.usd_per_hour < least_usd) least_usd = dep.usd_per_hour;
          continue;
        }
        deps.push_back(std::move(dep));
      }
    }
  }
  if (deps.empty() && budget_rejected > 0) {
    if (plan.serving.max_gpus > 0 && least_gpus > plan.serving.max_gpus)
      return infeasible(plan.display_path + ": serving.max_gpus binds: the smallest deployment meeting the SLO needs " +
                        std::to_string(least_gpus) + " GPUs, the budget is " + std::to_string(plan.serving.max_gpus));
    return infeasible(plan.display_path + ": serving.max_usd_per_hour binds: the cheapest deployment meeting the SLO costs " +
                      fmt("$%.0f/hour, the budget is $%.0f/hour", least_usd, plan.serving.max_usd_per_hour));
  }
  if (deps.empty()) return no_plan_error(plan, cands, est);
  rank_deployments(plan.objective, &deps);
  std::vector<bool> seen_gpu(plan.gpus.size(), false);
  for (auto& d : deps) {
    const size_t g = static_cast<size_t>(d.decode.gpu_index);
    d.why = why_row(d, plan, !seen_gpu[g]);
    seen_gpu[g] = true;
  }
  result.stats.deployments_ranked = deps.size();
  result.ranked = std::move(deps);
  return result;
}

}  // namespace moesim::planner::search
