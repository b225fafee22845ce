// The serving search space: one candidate is one kind of serving instance (prefill or decode) —
// GPU type × precision × instance size × attention DP/TP × redundant experts × batch limit — that is
// replicated until it carries the plan's load. Enumerated as a product with an is_valid prune and a
// canonical key per candidate (the idea of Vidur's config explorer).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "configs/plan_spec.hpp"
#include "models/dtype.hpp"

namespace moesim::planner::search {

enum class InstanceRole { kPrefill, kDecode };
const char* role_name(InstanceRole role);

struct InstanceCandidate {
  InstanceRole role = InstanceRole::kDecode;
  int gpu_index = 0;  // into PlanSpec::gpus
  models::DType weight_dtype = models::DType::kFp8;
  models::DType kv_dtype = models::DType::kFp8;
  models::DType dispatch_dtype = models::DType::kFp8;
  int nodes = 1;
  int attention_tp = 1;   // 1 = attention data-parallel on every GPU; EP is always every GPU
  int redundant_experts = 0;
  int batch = 0;          // decode: requests per GPU; prefill: new tokens per GPU per iteration
};

int instance_gpus(const InstanceCandidate& c, const configs::PlanSpec& plan);

// "decode/h800/w=fp8/kv=fp8/d=fp8/n=18/tp=1/r=32/b=64": stable, human-readable, unique per candidate.
std::string canonical_key(const InstanceCandidate& c, const configs::PlanSpec& plan);

// Why a candidate of the product is skipped before evaluation ("" = valid): EP must divide the
// physical expert slots, attention TP must fit in a node, the GPU must support the weight format.
std::string invalid_reason(const InstanceCandidate& c, const configs::PlanSpec& plan);

// Every valid candidate, in a deterministic order (GPU, precisions, role, sizes, batch).
std::vector<InstanceCandidate> enumerate_serving(const configs::PlanSpec& plan);

// The precision triple (weights, KV cache, dispatch) of a candidate: prefill and decode of one
// deployment share it.
struct PrecisionKey {
  int gpu_index = 0;
  models::DType weight_dtype = models::DType::kFp8, kv_dtype = models::DType::kFp8,
                dispatch_dtype = models::DType::kFp8;
  bool operator<(const PrecisionKey& o) const;
  bool operator==(const PrecisionKey& o) const { return !(*this < o) && !(o < *this); }
};
PrecisionKey precision_of(const InstanceCandidate& c);

}  // namespace moesim::planner::search
