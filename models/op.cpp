#include "models/op.hpp"

#include <utility>

namespace moesim::models {

std::string op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::kGemm: return "gemm";
    case OpKind::kGroupedGemm: return "grouped_gemm";
    case OpKind::kAttention: return "attention";
    case OpKind::kMlaDecode: return "mla_decode";
    case OpKind::kGqaDecode: return "gqa_decode";
    case OpKind::kNorm: return "norm";
    case OpKind::kRouter: return "router";
    case OpKind::kElementwise: return "elementwise";
    case OpKind::kEmbedding: return "embedding";
  }
  return "unknown";
}

Op make_grouped_gemm(std::string name, int64_t groups, int64_t m, int64_t n, int64_t k, DType compute,
                     double b_bytes_per_elem, double act_bytes_per_elem, bool weight_gemm) {
  Op op;
  op.name = std::move(name);
  op.kind = groups > 1 ? OpKind::kGroupedGemm : OpKind::kGemm;
  op.shape.m = m;
  op.shape.n = n;
  op.shape.k = k;
  op.shape.groups = groups;
  op.dtype = compute;
  const double g = static_cast<double>(groups);
  op.flops = 2.0 * g * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  // A is [m x k] activations, B is [k x n] (weights or a second activation), C is [m x n].
  op.bytes_read = g * (static_cast<double>(m) * static_cast<double>(k) * act_bytes_per_elem +
                       static_cast<double>(k) * static_cast<double>(n) * b_bytes_per_elem);
  op.bytes_written = g * static_cast<double>(m) * static_cast<double>(n) * act_bytes_per_elem;
  op.is_weight_gemm = weight_gemm;
  return op;
}

Op make_gemm(std::string name, int64_t m, int64_t n, int64_t k, DType compute, double b_bytes_per_elem,
             double act_bytes_per_elem, bool weight_gemm) {
  return make_grouped_gemm(std::move(name), 1, m, n, k, compute, b_bytes_per_elem, act_bytes_per_elem,
                           weight_gemm);
}

Op make_memory_op(std::string name, OpKind kind, int64_t elements, double read_per_elem,
                  double write_per_elem, double flops_per_elem) {
  Op op;
  op.name = std::move(name);
  op.kind = kind;
  op.shape.elements = elements;
  const double e = static_cast<double>(elements);
  op.bytes_read = e * read_per_elem;
  op.bytes_written = e * write_per_elem;
  op.flops = e * flops_per_elem;
  return op;
}

double attention_pairs(int64_t batch, int64_t q_tokens, int64_t kv_tokens, bool causal) {
  const double b = static_cast<double>(batch);
  const double q = static_cast<double>(q_tokens);
  const double kv = static_cast<double>(kv_tokens);
  if (!causal) return b * q * kv;
  // The q new tokens are the last q of kv: token i (0-based among the new ones) sees kv - q + i + 1 keys.
  const double prefix = kv - q;
  return b * (q * prefix + q * (q + 1) / 2.0);
}

}  // namespace moesim::models
