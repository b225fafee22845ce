#include "planner/search/training_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

#include "models/memory.hpp"
#include "models/op_graph.hpp"
#include "models/param_count.hpp"
#include "sim/training_costs.hpp"

namespace moesim::planner::search {

namespace {

constexpr double kReserveBytes = 4e9;     // CUDA context, communication buffers, fragmentation
constexpr double kCommKernelS = 10e-6;    // per all-to-all kernel beyond wire latency (uncalibrated)

double sum_time(const std::vector<models::Op>& ops, const models::CostModel& cost, const models::GpuSpec& gpu,
                double div, bool experts_only, bool skip_experts, double expert_weight_div) {
  double t = 0;
  for (models::Op op : ops) {
    const bool expert = op.name.rfind("experts.", 0) == 0;
    if ((experts_only && !expert) || (skip_experts && expert)) continue;
    if (op.flops <= 0 && op.bytes_read + op.bytes_written <= 0) continue;
    if (expert && op.is_weight_gemm) {
      // Only 1/ep of the experts' weights live on this GPU; the rows stay (tokens × top-k on average).
      const double weights = static_cast<double>(op.shape.groups * op.shape.k * op.shape.n) *
                             (op.bytes_read > 0 ? 1.0 : 0.0) * models::weight_bytes_per_element(op.dtype);
      op.bytes_read -= weights * (1 - 1 / expert_weight_div);
      op.shape.groups = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(op.shape.groups) / expert_weight_div));
    } else {
      op.flops /= div;
      op.bytes_read /= div;
      op.bytes_written /= div;
    }
    t += cost.op_time(op, gpu).time_s;
  }
  return t;
}

}  // namespace

std::string canonical_key(const TrainingCandidate& c, const configs::PlanSpec& plan) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "train/%s/%s/n=%d/pp=%d/dp=%d/ep=%d/tp=%d/%s/mb=%d/rc=%d",
                plan.gpus[static_cast<size_t>(c.gpu_index)].gpu_name.c_str(),
                std::string(models::to_string(c.gemm_dtype)).c_str(), c.nodes, c.pp, c.dp, c.ep, c.tp,
                configs::schedule_name(c.schedule), c.micro_batch, c.recompute);
  return buf;
}

std::vector<TrainingCandidate> enumerate_training(const configs::PlanSpec& plan) {
  const configs::TrainingPlanSpec& t = plan.training;
  const auto& s = t.space;
  const int64_t experts = plan.model.moe.num_routed_experts;
  std::vector<TrainingCandidate> out;
  for (size_t g = 0; g < plan.gpus.size(); ++g) {
    const auto& node = plan.gpus[g].node;
    for (models::DType d : s.gemm_dtypes) {
      if (d != models::DType::kBf16 && !models::supports(node.gpu, d)) continue;
      for (int64_t n : s.nodes) {
        const int64_t gpus = n * node.gpus_per_node;
        if (t.max_gpus > 0 && gpus > t.max_gpus) continue;
        for (int64_t pp : s.pp) {
          for (int64_t tp : s.tp) {
            if (tp > node.gpus_per_node || gpus % (pp * tp) != 0 || pp > plan.model.num_layers) continue;
            const int64_t dp = gpus / (pp * tp);
            for (int64_t ep : s.ep) {
              if (experts % ep != 0 || (dp * tp) % ep != 0) continue;
              for (configs::TrainingSchedule sched : s.schedules) {
                for (int64_t mb : s.micro_batch_sequences) {
                  if (t.global_batch_sequences % (dp * mb) != 0) continue;
                  const int64_t m = t.global_batch_sequences / (dp * mb);
                  if (m < pp) continue;
                  if (sched == configs::TrainingSchedule::kDualPipe && (pp % 2 != 0 || m < 2 * pp || m % 2 != 0)) continue;
                  for (int rc : s.recompute) {
                    out.push_back(TrainingCandidate{static_cast<int>(g), static_cast<int>(n), static_cast<int>(pp),
                                                    static_cast<int>(ep), static_cast<int>(tp), static_cast<int>(dp),
                                                    sched, static_cast<int>(mb), rc, d});
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return out;
}

TrainingModel::TrainingModel(const configs::PlanSpec& plan, const models::CostModel& cost) : plan_(plan), cost_(cost) {}

TrainingModel::Chunk TrainingModel::chunk(const TrainingCandidate& c) const {
  const models::ModelSpec& m = plan_.model;
  const configs::PlanGpuSpec& g = plan_.gpus[static_cast<size_t>(c.gpu_index)];
  const models::GpuSpec& gpu = g.node.gpu;
  const models::PrecisionSpec prec{c.gemm_dtype, models::DType::kBf16, models::DType::kBf16, models::DType::kBf16};
  const int64_t seq = plan_.training.sequence_tokens;
  // Attention and dense FFN over the micro-batch split by TP; experts see this GPU's share of tokens.
  const models::BatchShape batch{c.micro_batch, seq, seq};
  const double tp = c.tp, ep = c.ep;
  // Per micro-batch and phase (forward, input gradient, weight gradient): a dense layer, a MoE layer
  // and the extras (embedding, head and MTP modules) that the last stage carries.
  double dense_s[3], moe_s[3], extras_s[3];
  int p = 0;
  for (models::Phase phase : {models::Phase::kTrainForward, models::Phase::kTrainBackwardInput, models::Phase::kTrainBackwardWeight}) {
    const models::LayerOps moe = models::build_layer_ops(m, m.num_layers - 1, phase, batch, prec);
    const models::LayerOps dense = models::build_layer_ops(m, 0, phase, batch, prec);
    const double attn = sum_time(moe.attention, cost_, gpu, tp, false, false, 1);
    // Sequence-parallel MoE: each of the TP GPUs routes 1/TP of the tokens.
    auto routed = [&](const std::vector<models::Op>& ops) {
      return sum_time(ops, cost_, gpu, tp, false, true, 1) + sum_time(ops, cost_, gpu, tp, true, false, ep) / tp;
    };
    dense_s[p] = attn + sum_time(dense.ffn, cost_, gpu, tp, false, false, 1);
    moe_s[p] = m.is_moe ? attn + routed(moe.ffn) : dense_s[p];
    extras_s[p] = sum_time(models::build_head_ops(m, phase, batch, prec), cost_, gpu, tp, false, false, 1) +
                  routed(models::build_mtp_ops(m, phase, batch, prec));
    ++p;
  }
  // Stages as `simulate train` cuts them (sim::balanced_partition over whole-layer times, the
  // extras on the last layer); the slowest stage sets the pipeline's pace.
  const int n = static_cast<int>(m.num_layers);
  const int first_moe = m.is_moe ? static_cast<int>(m.moe.leading_dense_layers) : n;
  std::vector<double> weight(static_cast<size_t>(n));
  for (int l = 0; l < n; ++l) {
    const double* unit = l >= first_moe ? moe_s : dense_s;
    weight[static_cast<size_t>(l)] = unit[0] + unit[1] + unit[2];
  }
  weight.back() += extras_s[0] + extras_s[1] + extras_s[2];
  const std::vector<int> starts = sim::balanced_partition(weight, c.pp);
  int slowest = 0;
  double slowest_s = -1;
  for (int st = 0; st < c.pp; ++st) {
    const int end = st + 1 < c.pp ? starts[static_cast<size_t>(st + 1)] : n;
    double total = 0;
    for (int l = starts[static_cast<size_t>(st)]; l < end; ++l) total += weight[static_cast<size_t>(l)];
    if (total > slowest_s) slowest_s = total, slowest = st;
  }
  const int begin = starts[static_cast<size_t>(slowest)];
  const int end = slowest + 1 < c.pp ? starts[static_cast<size_t>(slowest + 1)] : n;
  const double moe_layers = std::max(0, end - std::max(begin, first_moe));
  const double dense_layers = (end - begin) - moe_layers;
  const bool has_head = slowest == c.pp - 1, has_embedding = slowest == 0;
  Chunk ch;
  double* slot[3] = {&ch.f, &ch.b, &ch.w};
  for (int q = 0; q < 3; ++q) *slot[q] = dense_layers * dense_s[q] + moe_layers * moe_s[q] + (has_head ? extras_s[q] : 0);
  if (c.recompute == 1) ch.b += 0.15 * ch.f;  // norms and MLA up-projections (DeepSeek-V3's choice)
  if (c.recompute == 2) ch.b += ch.f;
  ch.b += ch.w;
  // All-to-all: dispatch + combine, forward and backward, for this GPU's tokens.
  const double tokens = static_cast<double>(c.micro_batch * seq) / tp;
  const double gpn = g.node.gpus_per_node, ep_nodes = std::max(1.0, ep / gpn);
  const double k = static_cast<double>(m.moe.experts_per_token);
  double nodes_hit = ep_nodes * (1 - std::pow(1 - 1 / ep_nodes, k));
  if (m.moe.max_nodes_per_token > 0) nodes_hit = std::min(nodes_hit, static_cast<double>(m.moe.max_nodes_per_token));
  const double dispatch = models::element_bytes(c.gemm_dtype == models::DType::kBf16 ? models::DType::kBf16 : models::DType::kFp8);
  const double bytes = tokens * static_cast<double>(m.hidden_size) * (dispatch + 2.0);
  const double nic = ep_nodes > 1 ? bytes * nodes_hit * (ep_nodes - 1) / ep_nodes / models::scale_out_bw_one_way(g.node) : 0;
  const double nvl = bytes * std::min(k, ep) * (std::min(gpn, ep) - 1) / std::min(gpn, ep) / models::scale_up_bw_one_way(g.node);
  const double per_layer_a2a = std::max(nic, nvl) + 2 * (g.node.scale_out.latency_cross_leaf_s + kCommKernelS);
  ch.a2a = 3 * moe_layers * per_layer_a2a;  // forward once, backward twice the traffic... see header
  if (c.tp > 1) {
    // TP collectives per direction, as sim/training_costs.cpp counts them: an all-gather and a
    // reduce-scatter around attention, and around the FFN unless the layer's experts are all routed
    // (parallel folding); embedding 1 (first stage), head 1 and each MTP module 3 + one layer (last
    // stage), for the slowest stage's layers.
    const double moe_layer = m.is_moe && m.moe.num_shared_experts == 0 ? 2 : 4;
    const double head_extras = 1 + static_cast<double>(m.mtp_modules) * (3 + (m.is_moe ? moe_layer : 4));
    const double collectives = moe_layers * moe_layer + dense_layers * 4 + (has_embedding ? 1 : 0) +
                               (has_head ? head_extras : 0);
    // Each: a ring over the TP group (one node) of the micro-batch's BF16 hidden states.
    const double mb_bytes = static_cast<double>(c.micro_batch * seq) * static_cast<double>(m.hidden_size) * 2.0;
    const double ring = (tp - 1) / tp * mb_bytes / models::scale_up_bw_one_way(g.node) + (tp - 1) * g.node.scale_up.latency_s;
    ch.tp = 2 * collectives * ring;  // forward, mirrored in backward
  }
  return ch;
}

TrainingEstimate TrainingModel::evaluate(const TrainingCandidate& c) const {
  const models::ModelSpec& m = plan_.model;
  const configs::PlanGpuSpec& g = plan_.gpus[static_cast<size_t>(c.gpu_index)];
  const configs::TrainingPlanSpec& t = plan_.training;
  TrainingEstimate e;
  // Memory of the busiest stage.
  const models::ParamCount pc = models::count_params(m);
  const double expert_params = static_cast<double>(models::num_moe_layers(m) * m.moe.num_routed_experts) *
                               static_cast<double>(pc.params_per_expert);
  const double other = static_cast<double>(pc.total) - expert_params;
  const bool dual = c.schedule == configs::TrainingSchedule::kDualPipe;
  const double params = (other / c.tp + expert_params / c.ep) / c.pp * (dual ? 2 : 1);
  models::TrainingStateSpec state;
  state.data_parallel = c.dp;
  const double layers = std::ceil(static_cast<double>(m.num_layers) / c.pp);
  const double act = models::activation_bytes_per_layer(m, m.num_layers - 1, c.micro_batch * t.sequence_tokens,
                                                        static_cast<models::Recompute>(c.recompute)) /
                     c.tp * layers * (c.pp + (dual ? 1 : 0));
  e.hbm_used_bytes = models::training_state_bytes(params, state) + act + kReserveBytes;
  e.hbm_usable_bytes = g.node.gpu.usable_hbm_bytes > 0 ? g.node.gpu.usable_hbm_bytes : g.node.gpu.hbm_bytes;
  if (e.hbm_used_bytes > e.hbm_usable_bytes) {
    e.binding = 1;
    return e;
  }
  const Chunk ch = chunk(c);
  const double mb = static_cast<double>(t.global_batch_sequences / (c.dp * c.micro_batch)), pp = c.pp;
  const double fb = ch.f + ch.b;
  double exposed = 0;
  switch (c.schedule) {
    case configs::TrainingSchedule::k1F1B: e.bubble_s = (pp - 1) * fb; exposed = mb * ch.a2a; break;
    case configs::TrainingSchedule::kZb1p: e.bubble_s = std::max(0.0, (pp - 1) * (fb - 2 * ch.w)); exposed = mb * ch.a2a; break;
    case configs::TrainingSchedule::kDualPipe:
      e.bubble_s = std::max(0.0, (pp / 2 - 1) * (fb + ch.b - 3 * ch.w));
      exposed = mb * std::max(0.0, ch.a2a - fb);
      break;
  }
  // TP collectives sit between a chunk's kernels: exposed under every schedule.
  e.tp_comm_s = mb * ch.tp;
  exposed += e.tp_comm_s;
  // ZeRO-1: reduce-scatter gradients and all-gather weights (bf16) over the NIC, after the last micro-batch.
  const double sync_bytes = 2 * 2.0 * params / (dual ? 2 : 1) * (c.dp - 1) / std::max(1, c.dp);
  exposed += sync_bytes / models::scale_out_bw_one_way(g.node);
  e.compute_s = mb * fb;
  e.comm_exposed_s = exposed;
  e.step_s = e.compute_s + e.bubble_s + exposed;
  const double tokens_per_step = static_cast<double>(t.global_batch_sequences * t.sequence_tokens);
  const double gpus = c.nodes * g.node.gpus_per_node;
  e.time_to_train_s = t.tokens / tokens_per_step * e.step_s;
  e.gpu_hours = gpus * e.time_to_train_s / 3600;
  e.total_usd = e.gpu_hours * g.price_usd_per_gpu_hour;
  const double peak = models::peak_flops_for(g.node.gpu, models::DType::kBf16);
  e.mfu = models::training_flops_per_token(m, t.sequence_tokens) * tokens_per_step / e.step_s / (gpus * peak);
  e.feasible = t.deadline_s <= 0 || e.time_to_train_s <= t.deadline_s;
  e.binding = e.feasible ? 0 : 2;
  return e;
}

namespace {

std::vector<double> pack_training(const TrainingEstimate& e) {
  return {e.feasible ? 1.0 : 0.0, static_cast<double>(e.binding), e.step_s, e.compute_s, e.bubble_s, e.comm_exposed_s,
          e.hbm_used_bytes, e.hbm_usable_bytes, e.time_to_train_s, e.gpu_hours, e.total_usd, e.mfu, e.tp_comm_s};
}

TrainingEstimate unpack_training(const double* f) {
  TrainingEstimate e;
  e.feasible = f[0] != 0;
  e.binding = static_cast<int>(f[1]);
  e.step_s = f[2];
  e.compute_s = f[3];
  e.bubble_s = f[4];
  e.comm_exposed_s = f[5];
  e.hbm_used_bytes = f[6];
  e.hbm_usable_bytes = f[7];
  e.time_to_train_s = f[8];
  e.gpu_hours = f[9];
  e.total_usd = f[10];
  e.mfu = f[11];
  e.tp_comm_s = f[12];
  return e;
}

std::string why_training(const TrainingPlanRow& r, bool best_in_gpu, const configs::PlanSpec& plan) {
  char buf[256];
  const TrainingEstimate& e = r.estimate;
  const double bubble = e.bubble_s / e.step_s * 100, comm = e.comm_exposed_s / e.step_s * 100;
  std::snprintf(buf, sizeof buf, "HBM %.0f %% full; bubble %.0f %%, exposed comm %.0f %% of the step", 
                100 * e.hbm_used_bytes / e.hbm_usable_bytes, bubble, comm);
  std::string why = buf;
  if (plan.training.deadline_s > 0) {
    std::snprintf(buf, sizeof buf, "; %.1f of %.0f days", e.time_to_train_s / 86400, plan.training.deadline_s / 86400);
    why += buf;
  }
  if (r.pareto) why += "; Pareto-optimal (time, $)";
  if (best_in_gpu) why += "; best on " + plan.gpus[static_cast<size_t>(r.candidate.gpu_index)].gpu_name;
  return why;
}

}  // namespace

Result<TrainingPlanResult> search_training(const configs::PlanSpec& plan, const models::CostModel& cost,
                                           const ShardContext& ctx, const ProgressFn& progress) {
  const TrainingModel model(plan, cost);
  const std::vector<TrainingCandidate> cands = enumerate_training(plan);
  const std::vector<double> table = evaluate_sharded(
      cands.size(), kTrainingFields,
      [&](size_t i, double* row) {
        const std::vector<double> p = pack_training(model.evaluate(cands[i]));
        std::copy(p.begin(), p.end(), row);
      },
      ctx, [&](size_t done) { if (progress) progress(done * static_cast<size_t>(ctx.size), cands.size()); });
  if (!ctx.is_root()) return TrainingPlanResult{};
  TrainingPlanResult result;
  result.candidates = cands.size();
  double fastest = 0, least_hbm = 1e300;
  for (size_t i = 0; i < cands.size(); ++i) {
    TrainingPlanRow row{canonical_key(cands[i], plan), cands[i], unpack_training(table.data() + i * kTrainingFields), false, "", {}};
    least_hbm = std::min(least_hbm, row.estimate.hbm_used_bytes / row.estimate.hbm_usable_bytes);
    if (!row.estimate.feasible) {
      ++result.infeasible_by_binding[row.estimate.binding == 1 ? "hbm" : "deadline"];
      if (row.estimate.binding == 2 && (fastest == 0 || row.estimate.time_to_train_s < fastest)) fastest = row.estimate.time_to_train_s;
      continue;
    }
    result.ranked.push_back(std::move(row));
  }
  result.feasible = result.ranked.size();
  if (cands.empty()) return infeasible(plan.display_path + ": training.space binds: no layout of the space is valid for this model and batch");
  if (result.ranked.empty()) {
    char buf[200];
    if (fastest > 0) {
      std::snprintf(buf, sizeof buf, ": training.deadline_days binds: the fastest layout needs %.1f days, the deadline is %.1f",
                    fastest / 86400, plan.training.deadline_s / 86400);
    } else {
      std::snprintf(buf, sizeof buf, ": hbm binds: no layout fits in GPU memory (least use %.0f %% of usable HBM)", 100 * least_hbm);
    }
    return infeasible(plan.display_path + buf);
  }
  auto score = [&](const TrainingPlanRow& r) {
    if (plan.objective == "cost") return r.estimate.total_usd;
    if (plan.objective == "mfu") return -r.estimate.mfu;
    return r.estimate.time_to_train_s;
  };
  std::sort(result.ranked.begin(), result.ranked.end(), [&](const TrainingPlanRow& a, const TrainingPlanRow& b) {
    return std::make_tuple(score(a), a.key) < std::make_tuple(score(b), b.key);
  });
  std::vector<std::vector<double>> points;
  for (const auto& r : result.ranked) points.push_back({r.estimate.time_to_train_s, r.estimate.total_usd});
  const std::vector<bool> front = pareto_front(points);
  std::vector<bool> seen(plan.gpus.size(), false);
  for (size_t i = 0; i < result.ranked.size(); ++i) {
    auto& r = result.ranked[i];
    r.pareto = front[i];
    r.why = why_training(r, !seen[static_cast<size_t>(r.candidate.gpu_index)], plan);
    seen[static_cast<size_t>(r.candidate.gpu_index)] = true;
  }
  return result;
}

}  // namespace moesim::planner::search
