// One kernel-sized unit of work (a GEMM, an attention core, a norm ...) with its shape, FLOPs and
// bytes moved. Op graphs (op_graph.hpp) are lists of these; cost models turn one into seconds.
#pragma once

#include <cstdint>
#include <string>

#include "models/dtype.hpp"

namespace moesim::models {

enum class OpKind {
  kGemm,         // [m x k] x [k x n]
  kGroupedGemm,  // `groups` independent GEMMs of [m x k] x [k x n] each (experts, per-head bmm)
  kAttention,    // softmax attention core, training/prefill form (FlashAttention-style)
  kMlaDecode,    // MLA decode core in absorbed form: heads over the shared latent cache
  kGqaDecode,    // GQA/MHA decode core over a per-KV-head cache
  kNorm,         // RMSNorm
  kRouter,       // gate scores, top-k selection
  kElementwise,  // rope, activation, casts, residual adds
  kEmbedding,    // token-embedding lookup
};

std::string op_kind_name(OpKind kind);

// Shape of an op. Which fields matter depends on the kind; unused ones stay 0.
struct OpShape {
  // GEMM and grouped GEMM (m rows per group).
  int64_t m = 0, n = 0, k = 0;
  int64_t groups = 1;
  // Attention: `batch` sequences, each with `q_tokens` new queries attending to `kv_tokens` keys
  // (kv_tokens includes the new tokens), `heads` query heads.
  int64_t batch = 0, q_tokens = 0, kv_tokens = 0, heads = 0;
  int64_t qk_dim = 0, v_dim = 0;  // per-head widths; for MLA decode the latent widths (576, 512)
  int64_t kv_heads = 0;           // GQA decode: heads that own a cache
  bool causal = false;
  // Memory-bound ops: number of elements touched per pass.
  int64_t elements = 0;
};

struct Op {
  std::string name;          // e.g. "q_b_proj", "experts.down", "attention.core"
  OpKind kind = OpKind::kGemm;
  OpShape shape;
  DType dtype = DType::kBf16;  // format the tensor cores (or memory ops) run in
  double flops = 0;            // floating-point operations (multiply-add = 2)
  double bytes_read = 0;       // from HBM
  double bytes_written = 0;    // to HBM
  bool is_weight_gemm = false; // a GEMM against model weights (has a weight-gradient in training)
};

// Builders that fill flops and bytes from the shape. `weight_dtype` is the stored format of the
// weight operand (B); activations are `act_dtype`.
Op make_gemm(std::string name, int64_t m, int64_t n, int64_t k, DType compute, double b_bytes_per_elem,
             double act_bytes_per_elem, bool weight_gemm);
Op make_grouped_gemm(std::string name, int64_t groups, int64_t m, int64_t n, int64_t k, DType compute,
                     double b_bytes_per_elem, double act_bytes_per_elem, bool weight_gemm);
// Memory-bound op reading `read_per_elem` and writing `write_per_elem` bytes per element.
Op make_memory_op(std::string name, OpKind kind, int64_t elements, double read_per_elem,
                  double write_per_elem, double flops_per_elem);

// Number of (query, key) pairs in a batch of attention: full rectangle, or the causal part where the
// q_tokens new tokens are the last ones of kv_tokens.
double attention_pairs(int64_t batch, int64_t q_tokens, int64_t kv_tokens, bool causal);

}  // namespace moesim::models
