#include "sim/serving/instance_model.hpp"

#include <algorithm>
#include <cmath>

#include "models/memory.hpp"
#include "models/param_count.hpp"
#include "sim/collectives.hpp"
#include "sim/network_calibration.hpp"
#include "sim/platform.hpp"
#include "sim/run_isolated.hpp"

namespace moesim::sim::serving {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / kGiB);
  return buf;
}

double token_bytes(models::DType d, int64_t hidden) {
  const double h = static_cast<double>(hidden);
  // FP8 dispatch carries one fp32 scale per 128 values (DeepEP's layout).
  return d == models::DType::kFp8 ? h * (1 + 4.0 / 128) : h * models::element_bytes(d);
}

// Weights one GPU holds: attention (split over attention TP), dense FFNs, the shared experts and
// router (data-parallel), its routed-expert slots, embedding and head in BF16, and the MTP module.
double weights_per_gpu(const models::ModelSpec& m, const configs::ServingScenarioSpec& s, int slots, int tp) {
  const models::ParamCount c = models::count_params(m);
  const double w = models::weight_bytes_per_element(s.gemm_dtype);
  const double moe_layers = static_cast<double>(models::num_moe_layers(m));
  const double layers = static_cast<double>(m.num_layers);
  double bytes = static_cast<double>(c.attention_per_layer) * w * layers / tp;
  bytes += static_cast<double>(c.dense_ffn_per_layer) * w * static_cast<double>(models::num_dense_layers(m));
  bytes += moe_layers * (static_cast<double>(c.params_per_expert) * w * (m.moe.num_shared_experts + slots) +
                         static_cast<double>(c.router_per_moe_layer) * 2.0);
  bytes += static_cast<double>(c.embedding + c.head) * 2.0;
  if (s.mtp.draft_tokens > 0) {
    bytes += (static_cast<double>(c.attention_per_layer) / tp +
              static_cast<double>(c.params_per_expert) * (m.moe.num_shared_experts + slots) +
              2.0 * static_cast<double>(m.hidden_size * m.hidden_size)) * w;
  }
  return bytes;
}

// Tokens per GPU per micro-batch at which the all-to-all is simulated: powers of 4 up to the largest
// batch the instance can run (a ptask's time is affine in its bytes, so interpolation is exact
// between points of the same traffic pattern).
std::vector<double> bucket_points(double max_tokens) {
  std::vector<double> p;
  for (double t = 1; p.empty() || p.back() < max_tokens; t *= 4) p.push_back(t);
  if (p.size() < 2) p.push_back(4);
  return p;
}

// What one instance's SimGrid child measures.
struct CommProbe {
  Role role;
  double dispatch_bytes, combine_bytes;  // per token
  std::vector<double> points;            // tokens per GPU
};

// Dispatch and combine seconds at each point, then a 1 MB and a 257 MB point-to-point send between
// nodes (the KV-transfer probe), from a SimGrid run of the instance's platform in a child process.
Result<std::vector<double>> simulate_comm(const models::ClusterSpec& cluster, const EpTrafficPerToken& traffic,
                                          const CommProbe& probe) {
  const NetworkCalibration cal = embedded_network_calibration(cluster.gpu_name);
  return run_isolated([&] {
    init_engine();
    const HostList hosts = build_platform(cluster, cal, cluster.nodes, nullptr);
    const double dbytes = probe.dispatch_bytes, cbytes = probe.combine_bytes;
    std::vector<double> out;
    for (double tok : probe.points) {
      if (probe.role == Role::kDecode) {  // low-latency kernels: each token straight to each target GPU over RDMA
        std::vector<double> m = traffic.direct_pairs;
        for (size_t i = 0; i < m.size(); ++i) m[i] *= tok * dbytes;
        for (size_t i = 0; i < hosts.size(); ++i) m[i * hosts.size() + i] = 0;
        out.push_back(run_transfer_matrix(hosts, m) + cal.collective_latency_s);
        for (double& x : m) x *= cbytes / dbytes;
        out.push_back(run_transfer_matrix(hosts, transpose(m, static_cast<int>(hosts.size()))) + cal.collective_latency_s);
      } else {  // normal kernels: RDMA once per target node, then NVLink forwarding
        const TokenTraffic t = scale_traffic(traffic.normal, tok);
        out.push_back(all_to_all_time(hosts, t, dbytes, false, cal));
        out.push_back(all_to_all_time(hosts, t, cbytes, true, cal));
      }
    }
    const size_t other = hosts.size() > static_cast<size_t>(cluster.gpus_per_node) ? static_cast<size_t>(cluster.gpus_per_node)
                                                                                   : hosts.size() - 1;
    out.push_back(point_to_point_time(hosts[0], hosts[other], 1e6, cal));
    out.push_back(point_to_point_time(hosts[0], hosts[other], 257e6, cal));
    return out;
  });
}

}  // namespace

const char* role_name(Role role) { return role == Role::kPrefill ? "prefill" : "decode"; }

double CommTable::at(const std::vector<double>& times, double tokens_per_gpu) const {
  if (tokens_per_gpu <= 0 || tokens.empty()) return 0;
  if (tokens_per_gpu <= tokens.front()) return times.front();
  for (size_t i = 1; i < tokens.size(); ++i) {
    if (tokens_per_gpu <= tokens[i]) {
      const double f = (tokens_per_gpu - tokens[i - 1]) / (tokens[i] - tokens[i - 1]);
      return times[i - 1] + f * (times[i] - times[i - 1]);
    }
  }
  const size_t n = tokens.size();  // beyond the table: linear in bytes
  return times[n - 1] + (tokens_per_gpu - tokens[n - 1]) * (times[n - 1] - times[n - 2]) / (tokens[n - 1] - tokens[n - 2]);
}

Result<InstanceModel> InstanceModel::build(const configs::ServingScenarioSpec& s, Role role,
                                           const models::CostModel& cost) {
  const configs::ServingInstanceSpec& spec = role == Role::kPrefill ? s.prefill : s.decode;
  InstanceModel im;
  im.role_ = role;
  im.model_ = s.model;
  im.mtp_ = role == Role::kDecode ? s.mtp : configs::MtpSpec{};
  im.dispatch_dtype_ = s.dispatch_dtype;
  im.combine_dtype_ = s.combine_dtype;
  im.cost_ = &cost;
  im.gpu_ = spec.cluster.gpu;
  im.precision_ = {s.gemm_dtype, s.attention_dtype, s.kv_cache_dtype, models::DType::kBf16};
  im.gpus_ = models::total_gpus(spec.cluster);
  im.nodes_ = spec.cluster.nodes;
  im.attention_tp_ = spec.attention == configs::AttentionParallel::kTp ? static_cast<int>(spec.attention_tp) : 1;
  im.micro_batches_ = static_cast<int>(spec.micro_batches);
  const int physical = static_cast<int>(s.model.moe.num_routed_experts + spec.redundant_experts);
  im.slots_per_gpu_ = physical / im.gpus_;
  const int sms = std::max(1, spec.cluster.gpu.sm_count);
  im.sm_factor_ = im.micro_batches_ > 1 && spec.comm_sms < sms ? static_cast<double>(sms) / (sms - spec.comm_sms) : 1.0;

  // Memory: weights, reserve, and what is left for the compressed KV cache.
  MemoryBudget& mem = im.memory_;
  mem.usable_bytes = spec.cluster.gpu.usable_hbm_bytes > 0 ? spec.cluster.gpu.usable_hbm_bytes : spec.cluster.gpu.hbm_bytes;
  mem.weight_bytes = weights_per_gpu(s.model, s, im.slots_per_gpu_, im.attention_tp_);
  mem.reserve_bytes = spec.activation_reserve_bytes;
  const double layers = static_cast<double>(s.model.num_layers);
  mem.kv_bytes_per_token = models::kv_cache_bytes_per_token(s.model, s.kv_cache_dtype) *
                           (s.mtp.draft_tokens > 0 && role == Role::kDecode ? (layers + 1) / layers : 1.0);
  const double free = mem.usable_bytes - mem.weight_bytes - mem.reserve_bytes;
  if (free <= 0) {
    return infeasible(std::string(role_name(role)) + " instance (" + spec.cluster_name + "): model does not fit: " +
                      "weights " + gib(mem.weight_bytes) + " + activation reserve " + gib(mem.reserve_bytes) +
                      " exceed usable HBM " + gib(mem.usable_bytes) + " per GPU (limit: HBM capacity)");
  }
  mem.kv_capacity_tokens = std::floor(free / mem.kv_bytes_per_token);

  // Routing × placement.
  Result<std::vector<double>> pop = expert_popularity(s.expert_load, s.model.moe.num_routed_experts, s.seed);
  if (!pop.ok()) return pop.errors();
  std::vector<int> p2l;
  if (!spec.placement_path.empty()) {
    Result<std::vector<int>> r = read_placement(spec.placement_path, physical, static_cast<int>(s.model.moe.num_routed_experts));
    if (!r.ok()) return r.errors();
    p2l = r.value();
  } else {
    p2l = greedy_placement(pop.value(), physical, im.gpus_);
  }
  im.traffic_ = route_per_token(s.model.moe, pop.value(), p2l, im.gpus_, spec.cluster.gpus_per_node, 256, s.seed);

  // All-to-all times from SimGrid (one child process: one Engine per process).
  const double max_tokens = role == Role::kPrefill ? static_cast<double>(spec.token_budget_per_gpu)
                                                   : 4096.0 * static_cast<double>(1 + s.mtp.draft_tokens);
  const std::vector<double> points = bucket_points(max_tokens);
  const CommProbe probe{role, token_bytes(s.dispatch_dtype, s.model.hidden_size),
                        token_bytes(s.combine_dtype, s.model.hidden_size), points};
  Result<std::vector<double>> times = simulate_comm(spec.cluster, im.traffic_, probe);
  if (!times.ok()) return times.errors();
  const std::vector<double>& v = times.value();
  im.comm_.tokens = points;
  for (size_t i = 0; i < points.size(); ++i) {
    im.comm_.dispatch_s.push_back(v[2 * i]);
    im.comm_.combine_s.push_back(v[2 * i + 1]);
  }
  const double small = v[2 * points.size()], large = v[2 * points.size() + 1];
  im.kv_bw_ = 256e6 / std::max(large - small, 1e-12);
  im.kv_latency_s_ = std::max(0.0, small - 1e6 / im.kv_bw_);
  return im;
}

double InstanceModel::op_list_s(const std::vector<models::Op>& ops) const {
  double t = 0;
  for (const models::Op& op : ops)
    if (op.flops > 0 || op.bytes_read + op.bytes_written > 0) t += cost_->op_time(op, gpu_).time_s;
  return t;
}

// Per-GPU compute of one dense layer, one MoE layer (the busiest GPU's routed experts) and the head.
InstanceModel::LayerTimes InstanceModel::compute_times(models::Phase phase, const models::BatchShape& b,
                                                       double tokens_per_gpu) const {
  LayerTimes lt;
  const double tp = attention_tp_;
  const models::LayerOps dense = models::build_layer_ops(model_, 0, phase, b, precision_);
  const models::LayerOps moe = models::build_layer_ops(model_, model_.num_layers - 1, phase, b, precision_);
  // Attention of a TP group's batch is split over its GPUs; FFN inputs are per GPU (sequence parallel).
  lt.dense_layer_s = op_list_s(dense.attention) / tp + op_list_s(dense.ffn) / tp;
  std::vector<models::Op> shared;
  for (const models::Op& op : moe.ffn)
    if (op.name.rfind("experts.", 0) != 0) shared.push_back(op);
  // Busiest GPU: its expected rows (routing × placement) plus the random excess of a batch of this
  // size, ~sqrt(2 ln G) standard deviations of a Poisson count (the expected maximum over G GPUs).
  const double z = std::sqrt(2.0 * std::log(std::max(2.0, static_cast<double>(gpus_))));
  double rows = 0;
  for (double per_token : traffic_.expected_rows) {
    const double mean = per_token * tokens_per_gpu;
    rows = std::max(rows, mean + z * std::sqrt(mean));
  }
  const int64_t g = slots_per_gpu_;
  const int64_t per_group = std::max<int64_t>(1, std::llround(rows / static_cast<double>(g)));
  const int64_t h = model_.hidden_size, inter = model_.moe.expert_intermediate_size;
  const double wb = models::weight_bytes_per_element(precision_.gemm);
  const double in_b = models::element_bytes(dispatch_dtype_);
  std::vector<models::Op> routed = {
      models::make_grouped_gemm("experts.gate_up", g, per_group, 2 * inter, h, precision_.gemm, wb, in_b, true),
      models::make_memory_op("experts.act", models::OpKind::kElementwise, g * per_group * inter, 4, 2, 1)};
  if (models::quantizes_activations(precision_.gemm)) {
    routed.push_back(models::activation_quantization_op("experts.down", g * per_group * inter, precision_.gemm,
                                                        precision_.activation));
  }
  routed.push_back(models::make_grouped_gemm("experts.down", g, per_group, h, inter, precision_.gemm, wb,
                                             models::quantizes_activations(precision_.gemm) ? 1 : 2, true));
  lt.moe_attention_s = op_list_s(moe.attention) / tp;
  lt.moe_ffn_s = op_list_s(shared) / tp + op_list_s(routed);
  lt.head_s = op_list_s(models::build_head_ops(model_, phase, b, precision_)) / tp;
  return lt;
}

// Two micro-batches: each MoE layer takes max(compute of both, all-to-all of both); the first
// dispatch is not hidden. One micro-batch: compute then communication, serially.
StepBreakdown InstanceModel::step_from(models::Phase phase, const models::BatchShape& b, bool with_mtp) const {
  const int mb = micro_batches_;
  models::BatchShape half = b;
  if (mb > 1) half.sequences = std::max<int64_t>(1, (b.sequences + 1) / 2);
  const double tokens_per_gpu = static_cast<double>(half.sequences * half.new_tokens) / attention_tp_;
  const LayerTimes lt = compute_times(phase, half, tokens_per_gpu);
  const double comm = comm_.at(comm_.dispatch_s, tokens_per_gpu) + comm_.at(comm_.combine_s, tokens_per_gpu);
  const double compute = lt.moe_attention_s + lt.moe_ffn_s;
  StepBreakdown sb;
  sb.attention_per_moe_layer_s = mb * lt.moe_attention_s;
  sb.ffn_per_moe_layer_s = mb * lt.moe_ffn_s;
  sb.comm_per_moe_layer_s = mb * comm;
  sb.moe_layer_s = mb > 1 ? std::max(mb * compute * sm_factor_, mb * comm) : compute + comm;
  sb.dense_layers_s = static_cast<double>(models::num_dense_layers(model_)) * mb * lt.dense_layer_s;
  sb.head_s = mb * lt.head_s;
  sb.exposed_dispatch_s = mb > 1 ? comm_.at(comm_.dispatch_s, tokens_per_gpu) : 0.0;
  if (with_mtp) sb.mtp_s = static_cast<double>(mtp_.draft_tokens) * (sb.moe_layer_s + sb.head_s);
  sb.total_s = sb.dense_layers_s + static_cast<double>(models::num_moe_layers(model_)) * sb.moe_layer_s + sb.head_s +
               sb.exposed_dispatch_s + sb.mtp_s;
  return sb;
}

models::BatchShape InstanceModel::prefill_shape(double sequences, double new_tokens, double context_tokens) const {
  const int64_t s = std::max<int64_t>(1, std::llround(sequences));
  const int64_t n = std::max<int64_t>(1, (std::llround(new_tokens) + 63) / 64 * 64);
  const int64_t c = std::max<int64_t>(n, (std::llround(context_tokens) + 63) / 64 * 64);
  return {s, n, c};
}

models::BatchShape InstanceModel::decode_shape(int64_t requests, double context_tokens) const {
  const int64_t c = std::max<int64_t>(32, (std::llround(context_tokens) + 31) / 32 * 32);
  return {std::max<int64_t>(1, requests), 1 + mtp_.draft_tokens, c};
}

StepBreakdown InstanceModel::prefill_breakdown(double sequences, double new_tokens, double context_tokens) const {
  return step_from(models::Phase::kPrefill, prefill_shape(sequences, new_tokens, context_tokens), false);
}

StepBreakdown InstanceModel::decode_breakdown(int64_t requests, double context_tokens) const {
  return step_from(models::Phase::kDecode, decode_shape(requests, context_tokens), mtp_.draft_tokens > 0);
}

// Iteration times are memoized over the bucketed shape (tokens rounded to 64, context to 64 or 32).
double InstanceModel::prefill_step_s(double sequences, double new_tokens, double context_tokens) const {
  const models::BatchShape b = prefill_shape(sequences, new_tokens, context_tokens);
  const auto key = std::make_tuple(0, b.sequences, b.new_tokens, b.context_tokens);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  const double t = step_from(models::Phase::kPrefill, b, false).total_s;
  memo_.emplace(key, t);
  return t;
}

double InstanceModel::decode_step_s(int64_t requests, double context_tokens) const {
  const models::BatchShape b = decode_shape(requests, context_tokens);
  const auto key = std::make_tuple(1, b.sequences, b.new_tokens, b.context_tokens);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  const double t = step_from(models::Phase::kDecode, b, mtp_.draft_tokens > 0).total_s;
  memo_.emplace(key, t);
  return t;
}

}  // namespace moesim::sim::serving
