#include "planner/search/serving_model.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "models/memory.hpp"
#include "models/op_graph.hpp"
#include "models/param_count.hpp"
#include "planner/eplb.hpp"
#include "planner/placement_stats.hpp"
#include "sim/serving/prefill_batch.hpp"
#include "sim/serving/workload.hpp"

namespace moesim::planner::search {

namespace {

// Fixed cost of one DeepEP-style dispatch or combine kernel beyond wire latency (uncalibrated guess).
constexpr double kAllToAllKernelOverheadS = 10e-6;
// SMs DeepEP's normal kernels take in prefill, out of H800's 132 (scaled to other GPUs' SM counts).
constexpr double kPrefillCommSmFraction = 20.0 / 132.0;

double dispatch_bytes_per_elem(models::DType d) {
  // fp8 carries one fp32 scale per 128 values (DeepEP's layout).
  return d == models::DType::kFp8 ? 1.0 + 4.0 / 128.0 : models::element_bytes(d);
}

models::Op scaled(const models::Op& op, double flop_div, double byte_div) {
  models::Op out = op;
  out.flops /= flop_div;
  out.bytes_read /= byte_div;
  out.bytes_written /= byte_div;
  return out;
}

}  // namespace

const char* binding_name(Binding b) {
  switch (b) {
    case Binding::kNone: return "none";
    case Binding::kHbm: return "hbm";
    case Binding::kTpot: return "tpot";
    case Binding::kTtft: return "ttft";
  }
  return "none";
}

std::vector<double> pack(const InstanceEstimate& e) {
  return {e.feasible ? 1.0 : 0.0, static_cast<double>(e.binding), e.step_s, e.compute_s, e.comm_s,
          e.capacity_tokens_per_s, e.latency_s, e.hbm_used_bytes, e.hbm_usable_bytes, e.weight_bytes_per_gpu,
          e.kv_bytes_per_gpu, e.expert_imbalance, 0.0};
}

InstanceEstimate unpack(const double* f) {
  InstanceEstimate e;
  e.feasible = f[0] != 0;
  e.binding = static_cast<Binding>(static_cast<int>(f[1]));
  e.step_s = f[2];
  e.compute_s = f[3];
  e.comm_s = f[4];
  e.capacity_tokens_per_s = f[5];
  e.latency_s = f[6];
  e.hbm_used_bytes = f[7];
  e.hbm_usable_bytes = f[8];
  e.weight_bytes_per_gpu = f[9];
  e.kv_bytes_per_gpu = f[10];
  e.expert_imbalance = f[11];
  return e;
}

namespace {

constexpr int64_t kPrefillSampleRequests = 20000;

// The plan's requests as `moesim simulate serve` would draw them for the refinement scenarios.
std::vector<sim::serving::RequestRecord> prefill_sample(const configs::PlanSpec& plan, const ServingLoad& load) {
  configs::ServingWorkloadSpec w;
  w.requests = kPrefillSampleRequests;
  w.input_tokens.distribution = configs::LengthDistribution::kLognormal;
  w.input_tokens.mean = load.mean_input_tokens;
  w.input_tokens.cv = kPlanLengthCv;
  w.output_tokens.distribution = configs::LengthDistribution::kFixed;
  w.output_tokens.mean = 1;
  w.prefix_cache_hit_rate = plan.serving.load.prefix_cache_hit_rate;
  return sim::serving::generate_requests(w, 1.0, plan.seed);
}

}  // namespace

ServingLoad derive_load(const configs::ServingPlanSpec& s) {
  ServingLoad l;
  const double day = 86400.0;
  l.input_tokens_per_s = s.load.input_tokens_per_day / day;
  l.prefill_tokens_per_s = l.input_tokens_per_s * (1 - s.load.prefix_cache_hit_rate);
  l.output_tokens_per_s = s.load.output_tokens_per_day / day;
  // mean_kv = E[in] + E[out^2] / (2 E[out]) = E[in] + (1 + cv^2) / 2 x E[out] (the context a decoded
  // token sees, averaged over tokens), with E[in] = ratio x E[out].
  const double ratio = s.load.input_tokens_per_day / s.load.output_tokens_per_day;
  const double tail = (1 + kPlanLengthCv * kPlanLengthCv) / 2;
  l.mean_output_tokens = s.load.mean_output_tokens > 0 ? s.load.mean_output_tokens : s.load.mean_kv_tokens / (ratio + tail);
  l.mean_input_tokens = s.load.mean_input_tokens > 0 ? s.load.mean_input_tokens : ratio * l.mean_output_tokens;
  l.requests_per_s = l.output_tokens_per_s / l.mean_output_tokens;
  return l;
}

ServingModel::ServingModel(const configs::PlanSpec& plan, const models::CostModel& cost)
    : plan_(plan), cost_(cost), load_(derive_load(plan.serving)) {
  for (const auto& g : plan.gpus) {
    gpus_.push_back(g.node.gpu);
  }
  std::set<std::tuple<int, int, int>> shapes;
  const auto& s = plan.serving.space;
  for (const auto& g : plan.gpus) {
    for (const auto* list : {&s.prefill_nodes, &s.decode_nodes}) {
      for (int64_t n : *list) {
        for (int64_t r : s.redundant_experts)
          shapes.insert({static_cast<int>(n) * g.node.gpus_per_node, static_cast<int>(n), static_cast<int>(r)});
      }
    }
  }
  for (const auto& [gpus, nodes, r] : shapes) {
    const std::vector<std::vector<double>> m = gpu_load_matrix(gpus, nodes, r);
    double sum = 0;
    for (const auto& row : m) sum += *std::max_element(row.begin(), row.end());
    imbalance_[{gpus, nodes, r}] = m.empty() ? 1.0 : sum / static_cast<double>(m.size());
  }
  const std::vector<sim::serving::RequestRecord> sample = prefill_sample(plan, load_);
  for (const auto& g : plan.gpus) {
    for (int64_t n : s.prefill_nodes) {
      for (int64_t tp : s.attention_tp) {
        const int64_t gpus = n * g.node.gpus_per_node;
        if (gpus % tp != 0) continue;
        for (int64_t tokens : s.prefill_tokens_per_gpu) {
          const std::pair<int, int64_t> key{static_cast<int>(gpus / tp), tokens * tp};
          if (prefill_shapes_.count(key)) continue;
          const sim::serving::GroupShape b = sim::serving::typical_busiest_group(sample, key.first, key.second);
          prefill_shapes_[key] = {b.sequences, b.new_tokens, b.context_tokens};
        }
      }
    }
  }
}

std::vector<std::vector<double>> ServingModel::gpu_load_matrix(int gpus, int nodes, int redundant) const {
  const models::MoeSpec& moe = plan_.model.moe;
  const int experts = static_cast<int>(moe.num_routed_experts);
  PlacementSpec spec{experts + redundant, static_cast<int>(moe.num_expert_groups), nodes, gpus};
  if (!validate_placement_spec(spec, experts).empty()) spec.groups = 1;
  if (!validate_placement_spec(spec, experts).empty()) return {};
  traces::ZipfLoadSpec z;
  z.num_layers = 4;  // a sample of layers: the imbalance is averaged over them
  z.num_experts = experts;
  z.exponent = plan_.serving.expert_zipf_exponent;
  z.seed = plan_.seed;
  const LoadMatrix loads = traces::zipf_loads(z);
  const PlacementPlan placed = place_deepseek(loads, spec);
  std::vector<std::vector<double>> out;
  for (size_t l = 0; l < loads.size(); ++l) {
    std::vector<double> per_gpu = gpu_loads(placed.physical_to_logical[l], loads[l], spec);
    double mean = 0;
    for (double v : per_gpu) mean += v / static_cast<double>(per_gpu.size());
    for (double& v : per_gpu) v = mean > 0 ? v / mean : 1.0;
    out.push_back(per_gpu);
  }
  return out;
}

double ServingModel::imbalance(int gpus, int nodes, int redundant) const {
  auto it = imbalance_.find({gpus, nodes, redundant});
  return it == imbalance_.end() ? 1.0 : it->second;
}

double ServingModel::ops_s(const std::vector<models::Op>& ops, const models::GpuSpec& gpu, double flop_div,
                           double byte_div) const {
  double total = 0;
  for (const models::Op& op : ops) {
    if (op.flops <= 0 && op.bytes_read + op.bytes_written <= 0) continue;
    // MLA's latent cache is shared by all heads: splitting heads over TP does not split its reads.
    const double bd = op.kind == models::OpKind::kMlaDecode ? 1.0 : byte_div;
    total += cost_.op_time(scaled(op, flop_div, bd), gpu).time_s;
  }
  return total;
}

double ServingModel::moe_ffn_s(const std::vector<models::Op>& ffn, const InstanceCandidate& c,
                               double rows_per_gpu) const {
  const models::GpuSpec& gpu = gpus_[static_cast<size_t>(c.gpu_index)];
  const int gpus = instance_gpus(c, plan_);
  const int slots = static_cast<int>((plan_.model.moe.num_routed_experts + c.redundant_experts) / gpus);
  const double wbytes = models::weight_bytes_per_element(c.weight_dtype);
  const double in_bytes = std::min(2.0, models::element_bytes(c.weight_dtype));
  double total = 0;
  for (const models::Op& op : ffn) {
    if (op.name != "experts.gate_up" && op.name != "experts.down") {
      if (op.flops > 0 || op.bytes_read + op.bytes_written > 0) total += cost_.op_time(op, gpu).time_s;
      continue;
    }
    // Only this GPU's slots, with its share of the rows (the busiest GPU sets the pace).
    const int64_t m = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(rows_per_gpu / slots)));
    models::Op g = models::make_grouped_gemm(op.name, slots, m, op.shape.n, op.shape.k, op.dtype, wbytes, 2.0, true);
    const double n = static_cast<double>(op.shape.n), k = static_cast<double>(op.shape.k);
    g.flops = 2.0 * rows_per_gpu * n * k;
    g.bytes_read = rows_per_gpu * k * in_bytes + slots * k * n * wbytes;
    g.bytes_written = rows_per_gpu * n * 2.0;
    total += cost_.op_time(g, gpu).time_s;
  }
  return total;
}

double ServingModel::all_to_all_s(const InstanceCandidate& c, double tokens_per_gpu, bool per_node) const {
  const configs::PlanGpuSpec& g = plan_.gpus[static_cast<size_t>(c.gpu_index)];
  const double gpus = instance_gpus(c, plan_), gpn = g.node.gpus_per_node, nodes = c.nodes;
  if (gpus <= 1) return 0;
  const models::MoeSpec& moe = plan_.model.moe;
  const double k = static_cast<double>(moe.experts_per_token), h = static_cast<double>(plan_.model.hidden_size);
  const double bytes_per_copy = h * (dispatch_bytes_per_elem(c.dispatch_dtype) + 2.0);  // dispatch + bf16 combine
  const double distinct_gpus = gpus * (1 - std::pow(1 - 1 / gpus, k));
  double nic = 0, nvl = 0;
  if (per_node) {
    double distinct_nodes = nodes * (1 - std::pow(1 - 1 / nodes, k));
    if (moe.max_nodes_per_token > 0) distinct_nodes = std::min(distinct_nodes, static_cast<double>(moe.max_nodes_per_token));
    nic = tokens_per_gpu * distinct_nodes * (nodes - 1) / nodes * bytes_per_copy;
    nvl = tokens_per_gpu * distinct_gpus * (gpn - 1) / gpn * bytes_per_copy;
  } else {
    nic = tokens_per_gpu * distinct_gpus * (gpus - gpn) / gpus * bytes_per_copy;
    nvl = tokens_per_gpu * distinct_gpus * (gpn - 1) / gpus * bytes_per_copy;
  }
  models::ClusterSpec cluster = g.node;
  const double nic_bw = models::scale_out_bw_one_way(cluster), nvl_bw = models::scale_up_bw_one_way(cluster);
  const double latency = nodes > 1 ? cluster.scale_out.latency_cross_leaf_s : cluster.scale_up.latency_s;
  const double wire = std::max(nodes > 1 ? nic / nic_bw : 0.0, nvl / nvl_bw);
  return wire + 2 * (latency + kAllToAllKernelOverheadS);
}

double ServingModel::weight_bytes_per_gpu(const InstanceCandidate& c) const {
  const models::ModelSpec& m = plan_.model;
  const models::ParamCount pc = models::count_params(m);
  const double routed_params = static_cast<double>(models::num_moe_layers(m) * m.moe.num_routed_experts) *
                               static_cast<double>(pc.params_per_expert);
  const double routed_bytes = routed_params * models::weight_bytes_per_element(c.weight_dtype);
  const bool mtp = plan_.serving.mtp_draft_tokens > 0 && m.mtp_modules > 0;
  const double rest = models::weight_bytes(m, c.weight_dtype, mtp) - routed_bytes;
  const double slots = static_cast<double>(m.moe.num_routed_experts + c.redundant_experts) / instance_gpus(c, plan_);
  return rest / c.attention_tp + routed_bytes * slots / static_cast<double>(m.moe.num_routed_experts);
}

double ServingModel::kv_bytes_per_gpu(const InstanceCandidate& c) const {
  const models::ModelSpec& m = plan_.model;
  double per_token = models::kv_cache_bytes_per_token(m, c.kv_dtype);
  if (plan_.serving.mtp_draft_tokens > 0 && m.mtp_modules > 0)
    per_token *= static_cast<double>(m.num_layers + m.mtp_modules) / static_cast<double>(m.num_layers);
  const bool mla = m.attention.kind == models::AttentionKind::kMla;
  const double tp = c.attention_tp;
  if (c.role == InstanceRole::kDecode) {
    const double requests = static_cast<double>(c.batch) * tp;  // per attention group
    return requests * plan_.serving.load.mean_kv_tokens * per_token / (mla ? 1.0 : tp);
  }
  const double uncached = load_.mean_input_tokens * (1 - plan_.serving.load.prefix_cache_hit_rate);
  const double sequences = std::ceil(static_cast<double>(c.batch) * tp / std::max(1.0, uncached));
  return sequences * load_.mean_input_tokens * per_token / (mla ? 1.0 : tp);
}

ServingModel::StepParts ServingModel::decode_step(const InstanceCandidate& c, double imbalance) const {
  const models::ModelSpec& m = plan_.model;
  const models::GpuSpec& gpu = gpus_[static_cast<size_t>(c.gpu_index)];
  const models::PrecisionSpec prec{c.weight_dtype, models::DType::kBf16, c.kv_dtype, models::DType::kBf16};
  const int64_t s = 1 + plan_.serving.mtp_draft_tokens, tp = c.attention_tp;
  const int64_t ctx = std::max<int64_t>(s, static_cast<int64_t>(plan_.serving.load.mean_kv_tokens));
  const models::BatchShape group{c.batch * tp, s, ctx}, own{c.batch, s, ctx};
  const int64_t last = m.num_layers - 1;
  const models::LayerOps moe_group = models::build_layer_ops(m, last, models::Phase::kDecode, group, prec);
  const models::LayerOps moe_own = tp == 1 ? moe_group : models::build_layer_ops(m, last, models::Phase::kDecode, own, prec);
  const double tpd = static_cast<double>(tp);
  const double attn = ops_s(moe_group.attention, gpu, tpd, tpd);
  double tp_allreduce = 0;
  if (tp > 1) {
    const models::ClusterSpec& node = plan_.gpus[static_cast<size_t>(c.gpu_index)].node;
    const double bytes = static_cast<double>(c.batch * tp * s * m.hidden_size) * 2.0;
    tp_allreduce = 2 * (tpd - 1) / tpd * bytes / models::scale_up_bw_one_way(node) + 2 * (tpd - 1) * node.scale_up.latency_s;
  }
  const double tokens = static_cast<double>(c.batch * s);
  const double c_moe = attn + tp_allreduce + moe_ffn_s(moe_own.ffn, c, tokens * static_cast<double>(m.moe.experts_per_token) * imbalance);
  const double a_moe = all_to_all_s(c, tokens, false);
  double c_dense = 0;
  if (models::num_dense_layers(m) > 0) {
    const models::LayerOps dense = models::build_layer_ops(m, 0, models::Phase::kDecode, group, prec);
    c_dense = attn + tp_allreduce + ops_s(dense.ffn, gpu, tpd, tpd);
  }
  const double head = ops_s(models::build_head_ops(m, models::Phase::kDecode, group, prec), gpu, tpd, tpd);
  const double n_moe = static_cast<double>(models::num_moe_layers(m)), n_dense = static_cast<double>(models::num_dense_layers(m));
  // MTP drafts: one MoE-sized layer and a head per draft token (an upper bound: it runs on fewer tokens).
  const double mtp = static_cast<double>(plan_.serving.mtp_draft_tokens) * (std::max(c_moe, a_moe) + head);
  StepParts p;
  p.compute_s = n_dense * c_dense + n_moe * c_moe + head;
  p.comm_s = n_moe * a_moe;
  p.step_s = n_dense * c_dense + n_moe * std::max(c_moe, a_moe) + 0.5 * std::min(c_moe, a_moe) + head + mtp;
  return p;
}

ServingModel::StepParts ServingModel::prefill_step(const InstanceCandidate& c, double imbalance) const {
  const models::ModelSpec& m = plan_.model;
  const models::GpuSpec& gpu = gpus_[static_cast<size_t>(c.gpu_index)];
  const models::PrecisionSpec prec{c.weight_dtype, models::DType::kBf16, c.kv_dtype, models::DType::kBf16};
  const double tpd = static_cast<double>(c.attention_tp);
  // The busiest attention group of a typical full batch sets the pace (the MoE layers wait for it).
  const int groups = instance_gpus(c, plan_) / c.attention_tp;
  const auto shape = prefill_shapes_.find({groups, c.batch * c.attention_tp});
  const PrefillShape busiest = shape != prefill_shapes_.end() ? shape->second : PrefillShape{};
  const int64_t sequences = std::max<int64_t>(1, std::llround(busiest.sequences));
  const int64_t new_tokens = std::max<int64_t>(1, std::llround(busiest.new_tokens));
  const int64_t ctx = std::max<int64_t>(new_tokens, std::llround(busiest.context_tokens));
  const models::BatchShape group{sequences, new_tokens, ctx}, own{1, c.batch, c.batch};
  const int64_t last = m.num_layers - 1;
  const double attn = ops_s(models::build_layer_ops(m, last, models::Phase::kPrefill, group, prec).attention, gpu, tpd, tpd);
  const models::LayerOps moe_own = models::build_layer_ops(m, last, models::Phase::kPrefill, own, prec);
  const double tokens = static_cast<double>(c.batch);
  double c_moe = attn + moe_ffn_s(moe_own.ffn, c, tokens * static_cast<double>(m.moe.experts_per_token) * imbalance);
  const double a_moe = all_to_all_s(c, tokens, true);
  // The all-to-all kernels hold SMs while they overlap compute.
  if (a_moe > 0 && gpu.sm_count > 0) {
    const double sms = gpu.sm_count, comm = std::round(kPrefillCommSmFraction * sms);
    c_moe *= sms / (sms - comm);
  }
  double c_dense = 0;
  if (models::num_dense_layers(m) > 0)
    c_dense = attn + ops_s(models::build_layer_ops(m, 0, models::Phase::kPrefill, own, prec).ffn, gpu, 1, 1);
  const double head = ops_s(models::build_head_ops(m, models::Phase::kPrefill, group, prec), gpu, tpd, tpd);
  const double n_moe = static_cast<double>(models::num_moe_layers(m)), n_dense = static_cast<double>(models::num_dense_layers(m));
  StepParts p;
  p.compute_s = n_dense * c_dense + n_moe * c_moe + head;
  p.comm_s = n_moe * a_moe;
  p.step_s = n_dense * c_dense + n_moe * std::max(c_moe, a_moe) + 0.5 * std::min(c_moe, a_moe) + head;
  return p;
}

InstanceEstimate ServingModel::evaluate(const InstanceCandidate& c) const {
  const configs::PlanGpuSpec& g = plan_.gpus[static_cast<size_t>(c.gpu_index)];
  const configs::ServingPlanSpec& s = plan_.serving;
  InstanceEstimate e;
  const int gpus = instance_gpus(c, plan_);
  e.hbm_usable_bytes = g.node.gpu.usable_hbm_bytes > 0 ? g.node.gpu.usable_hbm_bytes : g.node.gpu.hbm_bytes;
  e.weight_bytes_per_gpu = weight_bytes_per_gpu(c);
  e.kv_bytes_per_gpu = kv_bytes_per_gpu(c);
  e.hbm_used_bytes = e.weight_bytes_per_gpu + e.kv_bytes_per_gpu + s.activation_reserve_bytes;
  e.expert_imbalance = imbalance(gpus, c.nodes, c.redundant_experts);
  if (e.hbm_used_bytes > e.hbm_usable_bytes) {
    e.binding = Binding::kHbm;
    return e;
  }
  const double mem_ratio = e.hbm_used_bytes / e.hbm_usable_bytes;
  if (c.role == InstanceRole::kDecode) {
    const StepParts p = decode_step(c, e.expert_imbalance);
    const double per_step = 1 + static_cast<double>(s.mtp_draft_tokens) * s.mtp_acceptance_rate;
    e.step_s = p.step_s;
    e.compute_s = p.compute_s;
    e.comm_s = p.comm_s;
    e.latency_s = p.step_s / per_step;
    e.capacity_tokens_per_s = gpus * static_cast<double>(c.batch) * per_step / p.step_s;
    e.feasible = e.latency_s <= s.slo.tpot_s;
    e.binding = !e.feasible || e.latency_s / s.slo.tpot_s >= mem_ratio ? Binding::kTpot : Binding::kHbm;
    return e;
  }
  const StepParts p = prefill_step(c, e.expert_imbalance);
  const double rho = plan_.assumptions.target_utilization, pct = s.slo.ttft_percentile;
  const double uncached = std::max(1.0, load_.mean_input_tokens * (1 - s.load.prefix_cache_hit_rate));
  const double iterations = std::ceil(uncached / (static_cast<double>(c.batch) * c.attention_tp));
  // Waiting: up to one iteration boundary, then an M/M/1 queue (per attention group) whose service
  // time is the request's share of an iteration.
  const double share_s = p.step_s * std::min(1.0, uncached / (static_cast<double>(c.batch) * c.attention_tp));
  const double wait = p.step_s + share_s * rho / (1 - std::min(rho, 0.99)) * std::log(1 / (1 - pct));
  const double kv_request = load_.mean_input_tokens * models::kv_cache_bytes_per_token(plan_.model, c.kv_dtype);
  const double transfer = kv_request / models::scale_out_bw_one_way(g.node);
  e.step_s = p.step_s;
  e.compute_s = p.compute_s;
  e.comm_s = p.comm_s;
  e.latency_s = wait + iterations * p.step_s + transfer;
  e.capacity_tokens_per_s = gpus * static_cast<double>(c.batch) / p.step_s;
  e.feasible = e.latency_s <= s.slo.ttft_s;
  e.binding = !e.feasible || e.latency_s / s.slo.ttft_s >= mem_ratio ? Binding::kTtft : Binding::kHbm;
  return e;
}

}  // namespace moesim::planner::search
