// Exact parameter counts from a model config (no rounding, no published totals consulted).
#pragma once

#include <cstdint>

#include "models/model_spec.hpp"

namespace moesim::models {

struct ParamCount {
  int64_t embedding = 0;              // input token embedding
  int64_t head = 0;                   // output projection (0 when tied to the embedding)
  int64_t final_norm = 0;
  int64_t attention_per_layer = 0;    // projections and their internal norms, excluding the input norm
  int64_t layer_norms_per_layer = 0;  // the two pre-norms of a transformer layer
  int64_t dense_ffn_per_layer = 0;    // one dense SwiGLU FFN
  int64_t params_per_expert = 0;      // one routed (or shared) expert
  int64_t router_per_moe_layer = 0;   // gate weights (+ balancing bias)
  int64_t moe_layer_total = 0;        // all routed + shared experts + router of one MoE layer
  int64_t moe_layer_active = 0;       // top-k routed + shared experts + router
  int64_t total = 0;                  // every parameter of the main model (MTP excluded)
  int64_t active = 0;                 // parameters touched per token (MTP excluded)
  int64_t mtp_total = 0;              // unique parameters of the MTP modules (embedding/head shared)
  int64_t mtp_active = 0;

  int64_t total_without_embeddings() const { return total - embedding - head; }
  int64_t active_without_embeddings() const { return active - embedding - head; }
};

ParamCount count_params(const ModelSpec& model);

// Parameters of one attention block (projections and internal norms).
int64_t attention_params(const ModelSpec& model);

// Training FLOPs per token as ISCA'25 counts them: 6 × active non-embedding parameters (the LM head
// counts, the embedding lookup does not) + causal attention forward and backward at `sequence_tokens`.
double training_flops_per_token(const ModelSpec& model, int64_t sequence_tokens = 4096);
// Attention-core FLOPs per token, forward only (QK^T and PV), causal or full.
double attention_forward_flops_per_token(const ModelSpec& model, int64_t sequence_tokens, bool causal);

}  // namespace moesim::models
