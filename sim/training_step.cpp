#include "sim/training_step.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "models/param_count.hpp"
#include "sim/collectives.hpp"
#include "sim/platform.hpp"
#include "sim/run_isolated.hpp"
#include "sim/token_router.hpp"

namespace moesim::sim {

namespace {

ScheduleKind schedule_kind(configs::PipelineSchedule s) {
  switch (s) {
    case configs::PipelineSchedule::k1F1B: return ScheduleKind::k1F1B;
    case configs::PipelineSchedule::kZb1p: return ScheduleKind::kZb1p;
    case configs::PipelineSchedule::kDualPipe: return ScheduleKind::kDualPipe;
  }
  return ScheduleKind::k1F1B;
}

// Global GPU index of (stage, rank within the stage): stages occupy consecutive blocks of dp × tp
// GPUs, so an EP group is ep consecutive GPUs (whole nodes), a TP group the tp consecutive GPUs
// of one DP rank (inside a node, since tp divides gpus_per_node), and stage neighbours sit on
// other nodes at the same local index (same network plane).
int gpu_index(const configs::TrainingScenario& s, int stage, int rank) {
  return static_cast<int>(stage * s.dp * s.tp + rank);
}

// 1. route one micro-batch per GPU of an EP group; 2. in a SimGrid child: all-to-alls, one
// pipeline send, the DP collectives.
Result<TrainingCommTimes> simulate_network(const configs::TrainingScenario& s, const NetworkCalibration& cal,
                                           const std::vector<StageCompute>& stages, TokenTraffic traffic) {
  TrainingCommTimes t;
  t.expert_imbalance = traffic.max_over_mean_expert_rows;
  if (!s.communication) return t;
  const double h = static_cast<double>(s.model.hidden_size);
  const double bf16_token = 2 * h;
  const double dispatch_token = s.dispatch_dtype == models::DType::kFp8 ? h * (1 + 4.0 / 128) : models::element_bytes(s.dispatch_dtype) * h;
  const double mb_tokens = static_cast<double>(s.micro_batch_sequences * s.sequence_tokens);
  // Between stages each GPU of a TP group sends its sequence-parallel share over its own NIC.
  const double act_bytes = mb_tokens * h * 2 / static_cast<double>(s.tp);
  // Parameters one GPU holds (DualPipe: two stages) and must reduce-scatter / all-gather.
  double dense_params = 0, expert_params = 0;
  for (int r = 0; r < static_cast<int>(s.pp); ++r) {
    double d = stages[r].non_expert_params, e = stages[r].expert_params;
    if (s.schedule == configs::PipelineSchedule::kDualPipe) {
      d += stages[s.pp - 1 - r].non_expert_params;
      e += stages[s.pp - 1 - r].expert_params;
    }
    dense_params = std::max(dense_params, d);
    expert_params = std::max(expert_params, e);
  }
  const bool has_ep = s.model.is_moe;
  Result<std::vector<double>> out = run_isolated([&] {
    init_engine();
    const HostList hosts = build_platform(s.cluster, cal, 0, nullptr);
    std::vector<double> v(8, 0.0);
    if (has_ep && s.ep > 1) {
      const HostList ep(hosts.begin(), hosts.begin() + s.ep);
      v[0] = all_to_all_time(ep, traffic, dispatch_token, false, cal);
      v[1] = all_to_all_time(ep, traffic, bf16_token, true, cal);
      v[2] = all_to_all_time(ep, traffic, bf16_token, false, cal);  // gradient of the combine
      v[3] = all_to_all_time(ep, traffic, bf16_token, true, cal);   // gradient of the dispatch
    }
    if (s.pp > 1) v[4] = point_to_point_time(hosts[gpu_index(s, 0, 0)], hosts[gpu_index(s, 1, 0)], act_bytes, cal);
    // Non-expert weights: the DP group of TP rank 0 (every tp-th GPU of the stage; the other TP
    // ranks' groups are its mirror images on other GPUs). Experts: the GPUs holding the same E/ep.
    std::vector<int> dense_group, expert_group;
    for (int r = 0; r < static_cast<int>(s.dp * s.tp); ++r) {
      if (r % s.tp == 0) dense_group.push_back(gpu_index(s, 0, r));
      if (r % s.ep == 0) expert_group.push_back(gpu_index(s, 0, r));
    }
    const double nvl_lat = s.cluster.scale_up.latency_s, nic_lat = s.cluster.scale_out.latency_cross_leaf_s;
    if (s.tp > 1) {
      // One sequence-parallel all-gather (reduce-scatter: same ring traffic) of the micro-batch's
      // BF16 hidden states inside the first TP group (one node, NVLink).
      std::vector<int> tp_group;
      for (int r = 0; r < static_cast<int>(s.tp); ++r) tp_group.push_back(gpu_index(s, 0, r));
      v[7] = ring_collective_time(hosts, tp_group, mb_tokens * bf16_token, nvl_lat, cal);
    }
    const int gpn = s.cluster.gpus_per_node;
    v[5] = hierarchical_reduce_scatter_time(hosts, dense_group, gpn, dense_params * s.state.gradient_bytes, nvl_lat, nic_lat, cal) +
           hierarchical_reduce_scatter_time(hosts, expert_group, gpn, expert_params * s.state.gradient_bytes, nvl_lat, nic_lat, cal);
    v[6] = hierarchical_reduce_scatter_time(hosts, dense_group, gpn, dense_params * s.state.weight_bytes, nvl_lat, nic_lat, cal) +
           hierarchical_reduce_scatter_time(hosts, expert_group, gpn, expert_params * s.state.weight_bytes, nvl_lat, nic_lat, cal);
    return v;
  });
  if (!out.ok()) return out.errors();
  const std::vector<double>& v = out.value();
  t.dispatch_forward_s = v[0];
  t.combine_forward_s = v[1];
  t.dispatch_backward_s = v[2];
  t.combine_backward_s = v[3];
  t.p2p_s = v[4];
  t.dp_reduce_scatter_s = v[5];
  t.dp_all_gather_s = v[6];
  t.tp_collective_s = v[7];
  return t;
}

// Per-stage chunk times with the all-to-all folded in, and the overlapped-pair rule.
struct ChunkModel {
  std::vector<double> f_comp, bi_comp, w_comp, f_comm, b_comm;
  std::vector<double> f_tp, b_tp;  // TP collectives: exposed, never under another chunk's compute
  double sm_slowdown = 1;  // compute under a running communication kernel
  bool overlap = false;
};

ChunkModel chunk_model(const configs::TrainingScenario& s, const std::vector<StageCompute>& stages,
                       const TrainingCommTimes& c) {
  ChunkModel m;
  for (const StageCompute& st : stages) {
    m.f_comp.push_back(st.forward_s);
    m.bi_comp.push_back(st.backward_input_s);
    m.w_comp.push_back(st.backward_weight_s);
    m.f_comm.push_back(st.moe_layers * (c.dispatch_forward_s + c.combine_forward_s));
    m.b_comm.push_back(st.moe_layers * (c.dispatch_backward_s + c.combine_backward_s));
    m.f_tp.push_back(st.tp_collectives * c.tp_collective_s);
    m.b_tp.push_back(st.tp_collectives * c.tp_collective_s);
  }
  m.overlap = s.communication && s.overlap_comm && s.schedule == configs::PipelineSchedule::kDualPipe;
  const double sms = s.cluster.gpu.sm_count;
  if (m.overlap && sms > s.comm_sms) m.sm_slowdown = sms / (sms - static_cast<double>(s.comm_sms));
  return m;
}

// Splits each pipeline task's time into breakdown categories and averages over ranks.
TrainingBreakdown breakdown_of(const PipelineResult& p, const ChunkModel& m, int pp) {
  TrainingBreakdown b;
  for (const PipelineEvent& e : p.events) {
    const double d = e.end_s - e.start_s;
    const int v = e.stage;
    auto add_f = [&](int st) { b.forward_s += m.f_comp[st]; };
    if (e.name.find('+') != std::string::npos) {  // overlapped pair "Fi+Bj"
      const double f = m.f_comp[v] * m.sm_slowdown, bi = m.bi_comp[e.stage2] * m.sm_slowdown,
                   w = m.w_comp[e.stage2] * m.sm_slowdown;
      b.forward_s += f;
      b.backward_input_s += bi;
      b.backward_weight_s += w;
      b.exposed_comm_s += std::max(0.0, d - f - bi - w);
      continue;
    }
    switch (e.name[0]) {
      case 'F': add_f(v); b.exposed_comm_s += d - m.f_comp[v]; break;
      case 'B': b.backward_input_s += m.bi_comp[v]; b.backward_weight_s += m.w_comp[v];
                b.exposed_comm_s += d - m.bi_comp[v] - m.w_comp[v]; break;
      case 'I': b.backward_input_s += m.bi_comp[v]; b.exposed_comm_s += d - m.bi_comp[v]; break;
      case 'W': b.backward_weight_s += d; break;
      default: break;
    }
  }
  for (double bubble : p.bubble_s) b.bubble_s += bubble;
  for (double* x : {&b.forward_s, &b.backward_input_s, &b.backward_weight_s, &b.exposed_comm_s, &b.bubble_s}) *x /= pp;
  return b;
}

std::string gib(double bytes) {
  std::ostringstream o;
  o.precision(1);
  o << std::fixed << bytes / (1024.0 * 1024 * 1024) << " GiB";
  return o.str();
}

double optimizer_step_time(const configs::TrainingScenario& s, const std::vector<StageCompute>& stages,
                           const models::GpuSpec& gpu, const models::CostModel& cost) {
  // AdamW over this GPU's ZeRO-1 shard: read master, moments, gradient; write them and the weight.
  double shard = 0;
  for (int r = 0; r < static_cast<int>(s.pp); ++r) {
    double d = stages[r].non_expert_params, e = stages[r].expert_params;
    if (s.schedule == configs::PipelineSchedule::kDualPipe) {
      d += stages[s.pp - 1 - r].non_expert_params;
      e += stages[s.pp - 1 - r].expert_params;
    }
    shard = std::max(shard, d / static_cast<double>(s.dp) + e / std::max<int64_t>(1, s.dp * s.tp / s.ep));
  }
  const auto& st = s.state;
  const double read = st.master_weight_bytes + st.optimizer_state_bytes + st.gradient_bytes;
  const double write = st.master_weight_bytes + st.optimizer_state_bytes + st.weight_bytes;
  const models::Op adam = models::make_memory_op("optimizer.adamw", models::OpKind::kElementwise,
                                                 static_cast<int64_t>(shard), read, write, 10);
  return shard > 0 ? cost.op_time(adam, gpu).time_s : 0.0;
}

}  // namespace

Result<TrainingResult> simulate_training(const configs::TrainingScenario& s, const models::CostModel& cost,
                                         const NetworkCalibration& cal) {
  TrainingResult r;
  const models::GpuSpec& gpu = s.cluster.gpu;
  const int pp = static_cast<int>(s.pp);
  // Routing of one micro-batch per GPU of an EP group: expert loads and all-to-all bytes.
  TokenTraffic traffic;
  traffic.max_over_mean_expert_rows = 1;
  if (s.model.is_moe && s.ep >= 1) {
    const EpLayout layout{static_cast<int>(s.ep), static_cast<int>(std::min<int64_t>(s.ep, s.cluster.gpus_per_node))};
    // Sequence parallelism: a GPU routes its 1/tp of the micro-batch's tokens.
    traffic = route_tokens(s.model.moe, layout, {s.micro_batch_sequences * s.sequence_tokens / s.tp, s.routing_seed});
  }
  r.stages = build_stages(s, gpu, cost, traffic.max_over_mean_expert_rows);
  const MemoryEstimate mem = estimate_memory(s, r.stages);
  r.memory_per_gpu_bytes = mem.total_bytes();
  r.hbm_bytes = gpu.usable_hbm_bytes > 0 ? gpu.usable_hbm_bytes : gpu.hbm_bytes;
  r.memory_fits = r.memory_per_gpu_bytes <= r.hbm_bytes;
  if (!r.memory_fits) {
    const std::string msg = s.display_path + ": memory per GPU " + gib(r.memory_per_gpu_bytes) + " (state " +
                            gib(mem.state_bytes) + " + activations " + gib(mem.activation_bytes) +
                            " on pipeline rank " + std::to_string(mem.worst_rank) + ") exceeds the " +
                            gib(r.hbm_bytes) + " of HBM on " + s.cluster.gpu.name;
    if (s.enforce_hbm_limit) return infeasible(msg + "; try more pp/dp, recompute or a smaller micro-batch");
    r.warnings.push_back(msg + " (memory.hbm_check: warn, simulated anyway)");
  }
  Result<TrainingCommTimes> comm = simulate_network(s, cal, r.stages, traffic);
  if (!comm.ok()) return comm.errors();
  r.comm = comm.value();
  const ChunkModel m = chunk_model(s, r.stages, r.comm);
  StageCosts costs;
  for (int v = 0; v < pp; ++v) {
    costs.forward_s.push_back(m.f_comp[v] + m.f_comm[v] + m.f_tp[v]);
    costs.backward_input_s.push_back(m.bi_comp[v] + m.b_comm[v] + m.b_tp[v]);
    costs.weight_s.push_back(m.w_comp[v]);
  }
  costs.p2p_s = r.comm.p2p_s;
  if (m.overlap) {
    // DualPipe's F&B: each chunk's all-to-all runs under the other chunk's computation, which
    // meanwhile has only sm_count - comm_sms SMs. TP collectives sit between the blocks whose
    // inputs they gather: counted as exposed (conservative), with all SMs free for them.
    costs.overlapped_s = [m](int f, int b) {
      const double compute = (m.f_comp[f] + m.bi_comp[b] + m.w_comp[b]) * m.sm_slowdown;
      return std::max(compute, m.f_comm[f] + m.b_comm[b]) + m.f_tp[f] + m.b_tp[b];
    };
  }
  r.micro_batches = static_cast<int>(s.micro_batches());
  Result<PipelineResult> pipe = run_pipeline(schedule_kind(s.schedule), pp, r.micro_batches, costs);
  if (!pipe.ok()) return pipe.errors();
  r.pipeline = std::move(pipe).value();
  r.pipeline_makespan_s = r.pipeline.makespan_s;
  r.breakdown = breakdown_of(r.pipeline, m, pp);
  // ZeRO-1: gradients reduce-scattered after the last backward, parameters all-gathered after the
  // optimizer; counted as exposed (DeepSeek may hide part of it).
  r.breakdown.exposed_comm_s += r.comm.dp_reduce_scatter_s + r.comm.dp_all_gather_s;
  r.breakdown.optimizer_s = optimizer_step_time(s, r.stages, gpu, cost);
  r.step_time_s = r.pipeline_makespan_s + r.comm.dp_reduce_scatter_s + r.comm.dp_all_gather_s + r.breakdown.optimizer_s;
  // Figures of merit.
  const double tokens = static_cast<double>(s.tokens_per_step());
  const double gpus = static_cast<double>(models::total_gpus(s.cluster));
  const double peak = models::peak_flops_for(s.cluster.gpu, models::DType::kBf16);
  const double causal = models::training_flops_per_token(s.model, s.sequence_tokens);
  const double full = causal + 3 * (models::attention_forward_flops_per_token(s.model, s.sequence_tokens, false) -
                                    models::attention_forward_flops_per_token(s.model, s.sequence_tokens, true));
  r.tokens_per_s = tokens / r.step_time_s;
  r.mfu_causal = causal * r.tokens_per_s / (gpus * peak);
  r.mfu_noncausal = full * r.tokens_per_s / (gpus * peak);
  r.gpu_hours_per_trillion_tokens = gpus * r.step_time_s / 3600.0 * 1e12 / tokens;
  r.token_budget = s.token_budget > 0 ? s.token_budget : s.model.pretraining_tokens;
  const double price = s.price_usd_per_gpu_hour > 0 ? s.price_usd_per_gpu_hour : s.cluster.gpu.price_usd_per_gpu_hour;
  r.cost_usd = r.gpu_hours_per_trillion_tokens * r.token_budget / 1e12 * price;
  return r;
}

Result<TrainingResult> simulate_training(const configs::TrainingScenario& s, const models::CostModel& cost) {
  return simulate_training(s, cost, embedded_network_calibration(s.cluster.gpu.name));
}

}  // namespace moesim::sim
