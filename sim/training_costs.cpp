#include "sim/training_costs.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "models/op_graph.hpp"
#include "models/param_count.hpp"

namespace moesim::sim {

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// How the ops of a whole model replica map onto one GPU of the layout.
struct Localisation {
  int64_t experts_per_gpu = 1;  // E / ep
  double imbalance = 1;         // max / mean routed rows per GPU
  int64_t tp = 1;               // tensor-parallel group size
};

Localisation localisation_of(const configs::TrainingScenario& s, double imbalance) {
  return {s.model.is_moe ? s.model.moe.num_routed_experts / s.ep : 1, imbalance, s.tp};
}

// Megatron tensor parallelism with sequence parallelism: every op outside the routed experts
// (norms, projections, attention core, router, shared experts, dense FFN, embedding, LM head) is
// split over the tp GPUs of the group, by heads, by GEMM columns/rows or (norms, elementwise ops)
// by tokens, so one GPU does 1/tp of its FLOPs and moves 1/tp of its bytes. The shape shrinks in
// one dimension for cost models that look it up (the roofline uses FLOPs and bytes only).
models::Op split_over_tp(models::Op op, int64_t tp) {
  if (tp == 1) return op;
  const double t = static_cast<double>(tp);
  op.flops /= t;
  op.bytes_read /= t;
  op.bytes_written /= t;
  auto split = [tp](int64_t* x) {
    if (*x <= 0 || *x % tp != 0) return false;
    *x /= tp;
    return true;
  };
  auto split_up = [tp](int64_t* x) { *x = (*x + tp - 1) / tp; };
  models::OpShape& sh = op.shape;
  switch (op.kind) {
    case models::OpKind::kGemm:
      if (!split(&sh.n) && !split(&sh.k)) split_up(&sh.m);
      break;
    case models::OpKind::kGroupedGemm:
      if (!split(&sh.groups)) split_up(&sh.m);
      break;
    case models::OpKind::kAttention:
    case models::OpKind::kMlaDecode:
    case models::OpKind::kGqaDecode:
      if (split(&sh.heads) && sh.kv_heads >= tp) split(&sh.kv_heads);
      break;
    default:
      split_up(&sh.elements);
      break;
  }
  return op;
}

// The op graph is for a whole model replica; under EP one GPU runs E/ep experts over the rows
// routed to them, which on average are as many as its own tokens' rows (× the imbalance). Under
// TP ("parallel folding") experts are not split: the GPU routes its sequence-parallel 1/tp of the
// tokens, so its rows shrink by tp while its E/ep experts' weights stay whole.
models::Op localise_op(models::Op op, const Localisation& loc) {
  if (!starts_with(op.name, "experts.")) return split_over_tp(std::move(op), loc.tp);
  const int64_t experts_per_gpu = loc.experts_per_gpu;
  const double imbalance = loc.imbalance / static_cast<double>(loc.tp);  // == imbalance when tp = 1
  if (op.kind != models::OpKind::kGroupedGemm) {
    op.flops *= imbalance;
    op.bytes_read *= imbalance;
    op.bytes_written *= imbalance;
    op.shape.elements = static_cast<int64_t>(std::ceil(static_cast<double>(op.shape.elements) * imbalance));
    return op;
  }
  const double g = static_cast<double>(experts_per_gpu);
  const double rows = static_cast<double>(op.shape.groups * (ends_with(op.name, ".wgrad") ? op.shape.k : op.shape.m)) *
                      imbalance;
  const double in_b = models::element_bytes(op.dtype);
  const double w_b = models::weight_bytes_per_element(op.dtype);
  const double m_per_group = std::max(1.0, std::ceil(rows / g));
  if (ends_with(op.name, ".wgrad")) {  // dW[k × n] per expert from its rows
    const double k = static_cast<double>(op.shape.m), n = static_cast<double>(op.shape.n);
    op.flops = 2.0 * rows * k * n;
    op.bytes_read = rows * (k + n) * 2.0;
    op.bytes_written = g * k * n * 4.0;
    op.shape.k = static_cast<int64_t>(m_per_group);
  } else {
    const double k = static_cast<double>(op.shape.k), n = static_cast<double>(op.shape.n);
    op.flops = 2.0 * rows * k * n;
    op.bytes_read = rows * k * in_b + g * k * n * w_b;
    op.bytes_written = rows * n * 2.0;
    op.shape.m = static_cast<int64_t>(m_per_group);
  }
  op.shape.groups = experts_per_gpu;
  return op;
}

struct OpCost {
  double time_s = 0;
  double flops = 0;
};

OpCost cost_of(const std::vector<models::Op>& ops, const models::GpuSpec& gpu, const models::CostModel& cost,
               const Localisation& loc, bool only_recomputed = false) {
  OpCost c;
  for (const models::Op& raw : ops) {
    if (only_recomputed && !(raw.kind == models::OpKind::kNorm || raw.name == "q_b_proj" || raw.name == "kv_b_proj"))
      continue;
    const models::Op op = localise_op(raw, loc);
    if (op.flops <= 0 && op.bytes_read + op.bytes_written <= 0) continue;
    c.time_s += cost.op_time(op, gpu).time_s;
    c.flops += op.flops;
  }
  return c;
}

// Compute of one unit of the model (a layer, or the embedding+head+MTP extras) for one micro-batch.
struct UnitCost {
  double forward_s = 0, backward_input_s = 0, backward_weight_s = 0, forward_flops = 0;
  double total() const { return forward_s + backward_input_s + backward_weight_s; }
};

models::PrecisionSpec precision_of(const configs::TrainingScenario& s) {
  models::PrecisionSpec p;
  p.gemm = s.gemm_dtype;
  return p;
}

models::BatchShape batch_of(const configs::TrainingScenario& s) {
  return {s.micro_batch_sequences, s.sequence_tokens, s.sequence_tokens};
}

UnitCost layer_cost(const configs::TrainingScenario& s, int64_t layer, const models::GpuSpec& gpu,
                    const models::CostModel& cost, double imbalance) {
  const Localisation loc = localisation_of(s, imbalance);
  UnitCost u;
  const auto all = [](const models::LayerOps& l) {
    std::vector<models::Op> ops = l.attention;
    ops.insert(ops.end(), l.ffn.begin(), l.ffn.end());
    return ops;
  };
  const auto fwd = all(models::build_layer_ops(s.model, layer, models::Phase::kTrainForward, batch_of(s), precision_of(s)));
  const OpCost f = cost_of(fwd, gpu, cost, loc);
  u.forward_s = f.time_s;
  u.forward_flops = f.flops;
  u.backward_input_s = cost_of(all(models::build_layer_ops(s.model, layer, models::Phase::kTrainBackwardInput,
                                                            batch_of(s), precision_of(s))),
                               gpu, cost, loc).time_s;
  u.backward_weight_s = cost_of(all(models::build_layer_ops(s.model, layer, models::Phase::kTrainBackwardWeight,
                                                             batch_of(s), precision_of(s))),
                                gpu, cost, loc).time_s;
  if (s.recompute == models::Recompute::kSelective) {
    u.backward_input_s += cost_of(fwd, gpu, cost, loc, true).time_s;
  } else if (s.recompute == models::Recompute::kFull) {
    u.backward_input_s += f.time_s;
  }
  return u;
}

UnitCost ops_cost(const configs::TrainingScenario& s, const models::GpuSpec& gpu, const models::CostModel& cost,
                  std::vector<models::Op> (*build)(const models::ModelSpec&, models::Phase, const models::BatchShape&,
                                                   const models::PrecisionSpec&)) {
  const Localisation loc = localisation_of(s, 1);
  UnitCost u;
  const OpCost f = cost_of(build(s.model, models::Phase::kTrainForward, batch_of(s), precision_of(s)), gpu, cost, loc);
  u.forward_s = f.time_s;
  u.forward_flops = f.flops;
  u.backward_input_s =
      cost_of(build(s.model, models::Phase::kTrainBackwardInput, batch_of(s), precision_of(s)), gpu, cost, loc).time_s;
  u.backward_weight_s =
      cost_of(build(s.model, models::Phase::kTrainBackwardWeight, batch_of(s), precision_of(s)), gpu, cost, loc).time_s;
  return u;
}


// Bytes one layer of a whole model replica keeps for backward for one micro-batch. Follows
// models::activation_bytes_per_layer and adds DeepSeek-V3's FP8 recipe (tech report 3.3.2) when
// GEMMs run in FP8: inputs of linear layers are cached in FP8 (1 B instead of 2) and the SwiGLU
// output is recomputed from its input.
double replica_activation_bytes(const configs::TrainingScenario& s, int64_t layer) {
  if (s.gemm_dtype != models::DType::kFp8) {
    return static_cast<double>(s.micro_batch_sequences) *
           models::activation_bytes_per_layer(s.model, layer, s.sequence_tokens, s.recompute);
  }
  const int64_t tokens = s.micro_batch_sequences * s.sequence_tokens;
  const double layer_input = static_cast<double>(tokens * s.model.hidden_size) * 2.0;
  if (s.recompute == models::Recompute::kFull) return layer_input;
  const models::LayerOps l = models::build_layer_ops(s.model, layer, models::Phase::kTrainForward, batch_of(s),
                                                     precision_of(s));
  double saved = layer_input;
  const Localisation whole{s.model.is_moe ? s.model.moe.num_routed_experts / s.ep : 1, 1.0, 1};
  auto keep = [&](const models::Op& raw) {
    const models::Op op = localise_op(raw, whole);
    if (s.recompute == models::Recompute::kSelective &&
        (op.kind == models::OpKind::kNorm || op.name == "kv_b_proj" || op.name == "q_b_proj"))
      return;
    if (op.kind == models::OpKind::kRouter || models::is_quantization_op(op)) return;  // FP8 cache: counted at its producer
    if (op.name.size() >= 4 && op.name.compare(op.name.size() - 4, 4, ".act") == 0) return;  // recomputed SwiGLU
    if (op.kind == models::OpKind::kAttention) {
      saved += op.bytes_written / 2 + static_cast<double>(tokens * op.shape.heads) * 4.0;  // FP8 output + LSE
      return;
    }
    saved += op.bytes_written / 2;  // FP8 cache of the next GEMM's input
  };
  for (const models::Op& op : l.attention) keep(op);
  for (const models::Op& op : l.ffn) keep(op);
  return saved;
}

// Per GPU: with sequence parallelism every activation of a layer is split over the TP group
// (tensor-split ops by heads/columns, the rest by tokens, and the MoE layer sees 1/tp of the tokens).
double saved_activation_bytes(const configs::TrainingScenario& s, int64_t layer) {
  return replica_activation_bytes(s, layer) / static_cast<double>(s.tp);
}

// Tensor-parallel collectives (all-gather or reduce-scatter of the micro-batch's hidden states)
// one GPU runs per micro-batch in one direction: Megatron's sequence parallelism gathers the
// sequence before, and reduce-scatters it after, every tensor-split block (attention, dense FFN,
// shared experts); backward mirrors them. Routed experts need none (parallel folding).
int tp_collectives_of_layer(const models::ModelSpec& m, bool moe) {
  const bool split_ffn = !moe || m.moe.num_shared_experts > 0;
  return 2 + (split_ffn ? 2 : 0);
}

}  // namespace

// Contiguous partition of `w` into `parts` non-empty pieces of near-equal sums: each piece takes
// items while that brings it closer to (what is left) / (pieces left). A heavy last item (the LM
// head and MTP) thus gets a stage with fewer layers instead of inflating every stage.
std::vector<int> balanced_partition(const std::vector<double>& w, int parts) {
  const int n = static_cast<int>(w.size());
  double left = 0;
  for (double x : w) left += x;
  std::vector<int> starts;
  int i = 0;
  for (int p = 0; p < parts; ++p) {
    starts.push_back(i);
    const int pieces_left = parts - p;
    if (pieces_left == 1) break;
    // Reserve the heavy tail: later pieces must each get at least one item.
    const double target = left / pieces_left;
    double sum = 0;
    while (i < n - (pieces_left - 1) && (sum == 0 || std::abs(sum + w[i] - target) < std::abs(sum - target))) {
      sum += w[i++];
    }
    left -= sum;
  }
  return starts;
}

std::vector<StageCompute> build_stages(const configs::TrainingScenario& s, const models::GpuSpec& gpu,
                                       const models::CostModel& cost, double imbalance) {
  const int layers = static_cast<int>(s.model.num_layers);
  const int pp = static_cast<int>(s.pp);
  std::vector<UnitCost> unit(layers);
  for (int l = 0; l < layers; ++l) {
    // Layers of one kind cost the same: compute each kind once.
    const bool moe = s.model.is_moe && l >= s.model.moe.leading_dense_layers;
    const int first_of_kind = moe ? static_cast<int>(s.model.moe.leading_dense_layers) : 0;
    unit[l] = l == first_of_kind ? layer_cost(s, l, gpu, cost, imbalance) : unit[first_of_kind];
  }
  UnitCost embed_head = ops_cost(s, gpu, cost, &models::build_head_ops);
  UnitCost mtp = ops_cost(s, gpu, cost, &models::build_mtp_ops);
  // The embedding lookup is tiny next to the head: charge all head ops to the last stage.
  std::vector<double> weight(layers);
  for (int l = 0; l < layers; ++l) weight[l] = unit[l].total();
  weight[layers - 1] += embed_head.total() + mtp.total();
  const std::vector<int> starts = balanced_partition(weight, pp);
  const models::ParamCount pc = models::count_params(s.model);
  const double tp = static_cast<double>(s.tp);
  std::vector<StageCompute> stages(pp);
  for (int st = 0; st < pp; ++st) {
    StageCompute& sc = stages[st];
    sc.first_layer = starts[st];
    sc.last_layer = st + 1 < pp ? starts[st + 1] : layers;
    sc.has_embedding = st == 0;
    sc.has_head = st == pp - 1;
    for (int l = sc.first_layer; l < sc.last_layer; ++l) {
      const bool moe = s.model.is_moe && l >= s.model.moe.leading_dense_layers;
      sc.moe_layers += moe ? 1 : 0;
      sc.forward_s += unit[l].forward_s;
      sc.backward_input_s += unit[l].backward_input_s;
      sc.backward_weight_s += unit[l].backward_weight_s;
      sc.forward_flops += unit[l].forward_flops;
      sc.activation_bytes += saved_activation_bytes(s, l);
      // Under TP the norms and the router stay replicated (Megatron); every other non-expert
      // weight is split over the group. Integer counts: the sums are exact in double.
      sc.non_expert_params +=
          static_cast<double>(pc.attention_per_layer) / tp + static_cast<double>(pc.layer_norms_per_layer);
      if (moe) {
        sc.non_expert_params += static_cast<double>(pc.router_per_moe_layer) +
                                static_cast<double>(s.model.moe.num_shared_experts * pc.params_per_expert) / tp;
        sc.expert_params += static_cast<double>(s.model.moe.num_routed_experts / s.ep * pc.params_per_expert);
      } else {
        sc.non_expert_params += static_cast<double>(pc.dense_ffn_per_layer) / tp;
      }
      if (s.tp > 1) sc.tp_collectives += tp_collectives_of_layer(s.model, moe);
    }
    if (sc.has_embedding) {
      sc.non_expert_params += static_cast<double>(pc.embedding) / tp;  // vocabulary-parallel
      if (s.tp > 1) sc.tp_collectives += 1;                             // reduce-scatter of its output
    }
    if (sc.has_head) {
      sc.forward_s += embed_head.forward_s + mtp.forward_s;
      sc.backward_input_s += embed_head.backward_input_s + mtp.backward_input_s;
      sc.backward_weight_s += embed_head.backward_weight_s + mtp.backward_weight_s;
      sc.forward_flops += embed_head.forward_flops + mtp.forward_flops;
      // MTP modules: one MoE layer each, whose routed experts are sharded over EP like the others.
      const double mtp_experts = static_cast<double>(s.model.mtp_modules * (s.model.is_moe ? s.model.moe.num_routed_experts : 0) *
                                                     pc.params_per_expert);
      sc.non_expert_params += static_cast<double>(pc.head) / tp +
                              (static_cast<double>(pc.mtp_total) - mtp_experts) / tp + static_cast<double>(pc.final_norm);
      sc.expert_params += mtp_experts / static_cast<double>(s.ep);
      // The head gathers the sequence; each MTP module gathers and scatters around its projection,
      // runs one MoE layer and gathers again for the shared head.
      if (s.tp > 1)
        sc.tp_collectives += 1 + static_cast<int>(s.model.mtp_modules) * (3 + tp_collectives_of_layer(s.model, s.model.is_moe));
    }
  }
  return stages;
}

MemoryEstimate estimate_memory(const configs::TrainingScenario& s, const std::vector<StageCompute>& stages) {
  const int pp = static_cast<int>(s.pp);
  const bool dual = s.schedule == configs::PipelineSchedule::kDualPipe;
  MemoryEstimate worst;
  for (int r = 0; r < pp; ++r) {
    // DualPipe: rank r holds stages r and pp-1-r (2x parameters, PP+1 micro-batches of activations).
    std::vector<const StageCompute*> held = {&stages[r]};
    if (dual) held.push_back(&stages[pp - 1 - r]);
    models::TrainingStateSpec dense = s.state, experts = s.state;
    dense.data_parallel = s.dp;  // non-expert parameters are sharded over the DP group of their TP rank
    experts.data_parallel = std::max<int64_t>(1, s.dp * s.tp / s.ep);
    MemoryEstimate m;
    m.worst_rank = r;
    double act = 0;
    for (const StageCompute* sc : held) {
      m.state_bytes += models::training_state_bytes(sc->non_expert_params, dense) +
                       models::training_state_bytes(sc->expert_params, experts);
      act = std::max(act, sc->activation_bytes);
    }
    // In-flight micro-batches (T4): 1F1B holds pp - r on rank r; ZB-H1 up to pp on every rank
    // (same peak as 1F1B); DualPipe pp + 1 chunks.
    const bool zb = s.schedule == configs::PipelineSchedule::kZb1p;
    const double in_flight = dual ? pp + 1 : (zb ? pp : pp - r);
    m.activation_bytes = in_flight * act;
    if (m.total_bytes() > worst.total_bytes()) worst = m;
  }
  return worst;
}

}  // namespace moesim::sim
