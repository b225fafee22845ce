// Memory footprints: weights under each quantization, KV cache per token, and training state.
#pragma once

#include <cstdint>

#include "models/dtype.hpp"
#include "models/model_spec.hpp"

namespace moesim::models {

// Bytes of all weights when the linear layers are stored in `linear_dtype` (with that format's block
// scales) and embeddings, head, norms and router stay in BF16 (as in DeepSeek-V3's FP8 release).
double weight_bytes(const ModelSpec& model, DType linear_dtype, bool include_mtp = false);

// KV-cache bytes per token over all layers. bf16/fp16: MLA caches the latent (kv_lora + rope) per
// layer, GQA caches K and V per KV head. fp8: MLA uses FlashMLA's layout of 656 B per layer
// (512 fp8 values + 4 fp32 scales + 64 bf16 rope values); GQA stores 1 B per element.
double kv_cache_bytes_per_token(const ModelSpec& model, DType kv_dtype);

enum class ZeroStage { kNone = 0, kOptimizer = 1, kGradients = 2, kParameters = 3 };

enum class Recompute {
  kNone,       // keep every activation the backward pass needs
  kSelective,  // recompute norms and MLA up-projections (DeepSeek-V3), keep the rest
  kFull,       // keep only each layer's input
};

// Mixed-precision training state per parameter: bf16 weights and gradients, fp32 master weights and
// Adam moments. DeepSeek-V3 keeps the moments in bf16 (set optimizer_state_bytes = 4).
struct TrainingStateSpec {
  double weight_bytes = 2;
  double gradient_bytes = 2;
  double master_weight_bytes = 4;
  double optimizer_state_bytes = 8;   // Adam m and v
  ZeroStage zero = ZeroStage::kOptimizer;
  int64_t data_parallel = 1;          // ranks the ZeRO shards are spread over
};

// Bytes of weights + gradients + optimizer state held by one GPU that owns `params_on_gpu` parameters.
double training_state_bytes(double params_on_gpu, const TrainingStateSpec& spec);

// Activation bytes one transformer layer keeps for backward, for `tokens` tokens of one micro-batch
// (unsharded), in bf16, with FlashAttention (no S×S score matrix stored).
double activation_bytes_per_layer(const ModelSpec& model, int64_t layer_index, int64_t tokens,
                                  Recompute recompute);

}  // namespace moesim::models
