#include "traces/op_class.hpp"

#include <algorithm>
#include <cctype>

namespace moesim::traces {

namespace {

// One row of the classifier: every `all` substring must occur in the lower-cased name, none of
// the `none` substrings may, and (if non-empty) one of `any` and one of `any_also` must. A leading
// '=' asks for a whole identifier token ("=dispatch" matches `dispatch<8>(...)`, not "dispatcher").
struct PatternRule {
  std::vector<const char*> all;
  std::vector<const char*> any;
  std::vector<const char*> none;
  OpClass op_class;
  std::vector<const char*> any_also = {};
};

// Order matters: the first matching row wins, so specific rows (FlashMLA, fp8, grouped) come before
// the general ones they would otherwise fall into.
const std::vector<PatternRule>& rules() {
  static const std::vector<const char*> kFp8 = {"e4m3", "e5m2", "fp8", "f8f6f4", "float8"};
  static const std::vector<const char*> kGemmLike = {"gemm", "xmma", "nvjet", "cutlass", "matmul",
                                                      "gemv", "triton_tem_fused_mm", "_mm_"};
  static const std::vector<PatternRule> kRules = {
      {{"memcpy"}, {}, {}, OpClass::kMemcpy},
      {{"memset"}, {}, {}, OpClass::kMemset},
      // Communication.
      {{}, {"notify_dispatch", "notify_combine", "=notify"}, {}, OpClass::kEpNotify},
      {{"deep_ep", "notify"}, {}, {}, OpClass::kEpNotify},
      {{"deep_ep", "dispatch"}, {}, {}, OpClass::kEpDispatch},
      {{"deep_ep", "combine"}, {}, {}, OpClass::kEpCombine},
      {{}, {"=dispatch"}, {}, OpClass::kEpDispatch},
      {{}, {"=combine"}, {}, OpClass::kEpCombine},
      {{"nccl"}, {"allreduce", "all_reduce"}, {}, OpClass::kNcclAllReduce},
      {{"nccl"}, {"allgather", "all_gather"}, {}, OpClass::kNcclAllGather},
      {{"nccl"}, {"reducescatter", "reduce_scatter"}, {}, OpClass::kNcclReduceScatter},
      {{"nccl"}, {"sendrecv", "send", "recv", "alltoall"}, {}, OpClass::kNcclSendRecv},
      {{"nccl"}, {}, {}, OpClass::kNcclOther},
      // Attention: FlashMLA decode first (its names also contain flash_fwd).
      {{}, {"_mla_", "flash_mla", "flashmla", "mla_decode"}, {}, OpClass::kMlaDecode},
      {{}, {"flash_bwd", "fmha_bwd", "fmha_cutlassb", "attention_bwd", "attn_bwd",
                                          "flashattnbwd"}, {}, OpClass::kAttentionBwd},
      {{"sdpa"}, {"bprop", "bwd"}, {}, OpClass::kAttentionBwd},
      {{}, {"flash_fwd", "fmha", "flash_attn", "sdpa", "attention_fwd", "attn_fwd", "flash_fprop",
            "flashattnfwd"}, {},
       OpClass::kAttentionFwd},
      // Grouped (MoE) GEMMs before dense ones.
      {{"grouped"}, kFp8, {}, OpClass::kGroupedGemmFp8},
      {{"deep_gemm", "grouped"}, {}, {}, OpClass::kGroupedGemmFp8},
      {{}, {"groupedgemm", "grouped_gemm", "grouped_mm", "fused_moe", "moe_gemm", "m_grouped"}, {},
       OpClass::kGroupedGemm},
      {{"deep_gemm"}, {}, {}, OpClass::kGemmFp8},
      {{}, kGemmLike, {}, OpClass::kGemmFp8, kFp8},
      {{}, kGemmLike, {}, OpClass::kGemm},
      {{"splitkreduce"}, {}, {}, OpClass::kGemm},
      // Memory-bound kernels.
      {{}, {"rms_norm", "rmsnorm", "layer_norm", "layernorm", "_norm_", "norm_kernel", "rsqrt"}, {},
       OpClass::kNorm},
      {{}, {"rotary", "rope"}, {}, OpClass::kRope},
      {{}, {"silu", "gelu", "swiglu", "act_and_mul", "relu", "sigmoid", "swish"}, {}, OpClass::kActivation},
      {{}, {"quant", "to_copy", "cast", "convert"}, {}, OpClass::kCast},
      {{}, {"softmax", "topk", "top_k", "sort", "reduce", "triton_red", "triton_per", "cub::"}, {},
       OpClass::kReduction},
      {{}, {"elementwise", "triton_poi", "vectorized", "unrolled", "fill", "copy", "index", "scatter",
            "gather", "cat_", "add", "mul"},
       {}, OpClass::kElementwise},
  };
  return kRules;
}

bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Substring match, or with a leading '=' a match of a whole identifier token.
bool matches(const std::string& lower, const char* pattern) {
  if (pattern[0] != '=') return lower.find(pattern) != std::string::npos;
  const std::string word(pattern + 1);
  for (size_t pos = lower.find(word); pos != std::string::npos; pos = lower.find(word, pos + 1)) {
    const bool left_ok = pos == 0 || !is_ident_char(lower[pos - 1]);
    const size_t end = pos + word.size();
    const bool right_ok = end == lower.size() || !is_ident_char(lower[end]);
    if (left_ok && right_ok) return true;
  }
  return false;
}

bool rule_matches(const PatternRule& rule, const std::string& lower) {
  for (const char* p : rule.all) {
    if (!matches(lower, p)) return false;
  }
  for (const char* p : rule.none) {
    if (matches(lower, p)) return false;
  }
  auto one_of = [&](const std::vector<const char*>& alternatives) {
    return alternatives.empty() || std::any_of(alternatives.begin(), alternatives.end(),
                                               [&](const char* p) { return matches(lower, p); });
  };
  return one_of(rule.any) && one_of(rule.any_also);
}

}  // namespace

std::string op_class_name(OpClass op_class) {
  switch (op_class) {
    case OpClass::kGemm: return "gemm";
    case OpClass::kGemmFp8: return "gemm_fp8";
    case OpClass::kGroupedGemm: return "grouped_gemm";
    case OpClass::kGroupedGemmFp8: return "grouped_gemm_fp8";
    case OpClass::kAttentionFwd: return "attention_fwd";
    case OpClass::kAttentionBwd: return "attention_bwd";
    case OpClass::kMlaDecode: return "mla_decode";
    case OpClass::kEpDispatch: return "ep_dispatch";
    case OpClass::kEpCombine: return "ep_combine";
    case OpClass::kEpNotify: return "ep_notify";
    case OpClass::kNcclAllReduce: return "nccl_all_reduce";
    case OpClass::kNcclAllGather: return "nccl_all_gather";
    case OpClass::kNcclReduceScatter: return "nccl_reduce_scatter";
    case OpClass::kNcclSendRecv: return "nccl_send_recv";
    case OpClass::kNcclOther: return "nccl_other";
    case OpClass::kNorm: return "norm";
    case OpClass::kRope: return "rope";
    case OpClass::kActivation: return "activation";
    case OpClass::kCast: return "cast";
    case OpClass::kReduction: return "reduction";
    case OpClass::kElementwise: return "elementwise";
    case OpClass::kMemcpy: return "memcpy";
    case OpClass::kMemset: return "memset";
    case OpClass::kOther: return "other";
  }
  return "other";
}

const std::vector<OpClass>& all_op_classes() {
  static const std::vector<OpClass> kAll = [] {
    std::vector<OpClass> v;
    for (int i = 0; i <= static_cast<int>(OpClass::kOther); ++i) v.push_back(static_cast<OpClass>(i));
    return v;
  }();
  return kAll;
}

bool is_communication(OpClass c) {
  switch (c) {
    case OpClass::kEpDispatch:
    case OpClass::kEpCombine:
    case OpClass::kEpNotify:
    case OpClass::kNcclAllReduce:
    case OpClass::kNcclAllGather:
    case OpClass::kNcclReduceScatter:
    case OpClass::kNcclSendRecv:
    case OpClass::kNcclOther: return true;
    default: return false;
  }
}

OpClass classify_kernel(std::string_view name, ActivityKind kind) {
  if (kind == ActivityKind::kMemcpy) return OpClass::kMemcpy;
  if (kind == ActivityKind::kMemset) return OpClass::kMemset;
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const PatternRule& rule : rules()) {
    if (rule_matches(rule, lower)) return rule.op_class;
  }
  return OpClass::kOther;
}

}  // namespace moesim::traces
