// The ops of one transformer layer (or of the embedding/head/MTP) for a phase of training or
// inference, unsharded: one whole model replica processing the given batch. Parallelism (TP, EP,
// PP) is applied by the simulator, which divides or re-routes these ops.
#pragma once

#include <cstdint>
#include <vector>

#include "models/dtype.hpp"
#include "models/model_spec.hpp"
#include "models/op.hpp"

namespace moesim::models {

enum class Phase {
  kTrainForward,
  kTrainBackwardInput,   // activation gradients (dgrad)
  kTrainBackwardWeight,  // weight gradients (wgrad)
  kPrefill,              // MLA in its MHA form
  kDecode,               // MLA in its absorbed form
};

const char* phase_name(Phase phase);

// Formats used by the ops of a phase.
struct PrecisionSpec {
  DType gemm = DType::kBf16;       // linear layers (weights stored and multiplied in this format)
  DType attention = DType::kBf16;  // attention core
  DType kv_cache = DType::kBf16;   // stored KV cache (fp8 selects the FlashMLA 656 B/layer layout)
  DType activation = DType::kBf16; // activations between ops
};

// What the batch looks like. Training/prefill: `sequences` x `new_tokens` (new_tokens = the full
// sequence in training), attending to `context_tokens` (>= new_tokens; more when a cached prefix
// exists). Decode: `sequences` requests, new_tokens = 1 (or more with MTP), context_tokens = KV length.
struct BatchShape {
  int64_t sequences = 1;
  int64_t new_tokens = 4096;
  int64_t context_tokens = 4096;
};

enum class LayerKind { kDense, kMoe };

struct LayerOps {
  LayerKind kind = LayerKind::kDense;
  std::vector<Op> attention;  // norm → projections → core → output projection
  std::vector<Op> ffn;        // norm → router/shared/routed experts or dense FFN
  // MoE only: tokens × top-k expert assignments that the dispatch all-to-all moves (for the simulator).
  double routed_token_assignments = 0;
};

// Ops of transformer layer `layer_index` (0-based) in `phase`.
// REQUIRES: 0 <= layer_index < model.num_layers.
LayerOps build_layer_ops(const ModelSpec& model, int64_t layer_index, Phase phase,
                         const BatchShape& batch, const PrecisionSpec& precision);

// Embedding lookup, final norm and LM head. Training computes logits for every token; prefill only
// for the last token of each sequence; decode for every new token.
std::vector<Op> build_head_ops(const ModelSpec& model, Phase phase, const BatchShape& batch,
                               const PrecisionSpec& precision);

// Multi-token-prediction modules (training only): their projection, transformer layer and head.
std::vector<Op> build_mtp_ops(const ModelSpec& model, Phase phase, const BatchShape& batch,
                              const PrecisionSpec& precision);

// Online activation quantization (DeepSeek-V3 technical report, sections 3.3 and 3.5.2): an FP8 GEMM
// reads its activation operand in FP8, so the BF16 output of the op before it is read from HBM,
// quantized per 1x128 tile (one FP32 scale each) and written back first; FP4 (NVFP4) likewise with
// one FP8 scale per 16 elements. Other formats keep their activations as they are.
bool quantizes_activations(DType gemm);
// The memory-bound kernel that quantizes `elements` activations for GEMM `gemm_name`
// (named gemm_name + ".quant").
Op activation_quantization_op(const std::string& gemm_name, int64_t elements, DType gemm, DType activation);
// True for ops made by activation_quantization_op (and their backward counterparts).
bool is_quantization_op(const Op& op);

double total_flops(const std::vector<Op>& ops);
double total_bytes(const std::vector<Op>& ops);

}  // namespace moesim::models
