// Builds the models::Op for an op kind, precision and shape, with the simulator's own FLOP/byte
// formulas (models/op.hpp builders and models/op_graph.hpp), so a calibrated time and a simulated
// op always mean the same work.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "models/op.hpp"
#include "models/result.hpp"

namespace moesim::profiler {

using ShapeParams = std::map<std::string, int64_t>;  // keys of traces::calibration_shape_keys(kind)

// A GEMM against a weight stored in `dtype` (with its block scales), reading bf16 activations in
// the GEMM's input format, as models/op_graph.cpp builds linear layers.
models::Op gemm_op(int64_t m, int64_t n, int64_t k, models::DType dtype);
models::Op grouped_gemm_op(int64_t groups, int64_t m, int64_t n, int64_t k, models::DType dtype);
// Training/prefill attention core over `tokens` tokens per sequence (q = kv = tokens).
models::Op attention_op(int64_t batch, int64_t tokens, int64_t heads, int64_t qk_dim, int64_t v_dim,
                        bool causal, models::DType dtype);
// MLA decode in absorbed form (latent 512 + rope 64), one new token per sequence; `dtype` is both
// the attention and KV-cache format (fp8 selects FlashMLA's 656 B/token layout).
models::Op mla_decode_op(int64_t batch, int64_t heads, int64_t context, models::DType dtype);
// RMSNorm / elementwise over `elements` bf16 values (as in op_graph.cpp).
models::Op memory_op(models::OpKind kind, int64_t elements);

// Dispatches on `kind`. Missing required keys, unknown keys or values below their minimum are
// errors naming `where` (e.g. "records.json: records[3].tags").
Result<models::Op> make_op(models::OpKind kind, models::DType dtype, const ShapeParams& shape,
                           const std::string& where);

// The shape parameters of an op built here (inverse of make_op), for matching against entries.
ShapeParams shape_params_of(const models::Op& op);

}  // namespace moesim::profiler
