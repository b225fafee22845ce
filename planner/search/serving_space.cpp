#include "planner/search/serving_space.hpp"

#include <tuple>

namespace moesim::planner::search {

const char* role_name(InstanceRole role) { return role == InstanceRole::kPrefill ? "prefill" : "decode"; }

int instance_gpus(const InstanceCandidate& c, const configs::PlanSpec& plan) {
  return c.nodes * plan.gpus[static_cast<size_t>(c.gpu_index)].node.gpus_per_node;
}

std::string canonical_key(const InstanceCandidate& c, const configs::PlanSpec& plan) {
  std::string key = role_name(c.role);
  key += "/" + plan.gpus[static_cast<size_t>(c.gpu_index)].gpu_name;
  key += "/w=" + std::string(models::to_string(c.weight_dtype));
  key += "/kv=" + std::string(models::to_string(c.kv_dtype));
  key += "/d=" + std::string(models::to_string(c.dispatch_dtype));
  key += "/n=" + std::to_string(c.nodes) + "/tp=" + std::to_string(c.attention_tp);
  key += "/r=" + std::to_string(c.redundant_experts) + "/b=" + std::to_string(c.batch);
  return key;
}

std::string invalid_reason(const InstanceCandidate& c, const configs::PlanSpec& plan) {
  const configs::PlanGpuSpec& g = plan.gpus[static_cast<size_t>(c.gpu_index)];
  const int gpus = instance_gpus(c, plan);
  const int64_t physical = plan.model.moe.num_routed_experts + c.redundant_experts;
  if (physical % gpus != 0) return "ep does not divide the physical experts";
  if (c.attention_tp > g.node.gpus_per_node || g.node.gpus_per_node % c.attention_tp != 0)
    return "attention tp does not fit in a node";
  if (c.weight_dtype != models::DType::kBf16 && !models::supports(g.node.gpu, c.weight_dtype))
    return "the GPU has no tensor-core support for the weight format";
  if (c.dispatch_dtype == models::DType::kFp8 && !models::supports(g.node.gpu, models::DType::kFp8))
    return "the GPU has no fp8 support for dispatch";
  return "";
}

std::vector<InstanceCandidate> enumerate_serving(const configs::PlanSpec& plan) {
  const configs::ServingSpaceSpec& s = plan.serving.space;
  std::vector<InstanceCandidate> out;
  for (size_t g = 0; g < plan.gpus.size(); ++g) {
    for (models::DType w : s.weight_dtypes) {
      for (models::DType kv : s.kv_cache_dtypes) {
        for (models::DType d : s.dispatch_dtypes) {
          for (InstanceRole role : {InstanceRole::kPrefill, InstanceRole::kDecode}) {
            const auto& nodes = role == InstanceRole::kPrefill ? s.prefill_nodes : s.decode_nodes;
            const auto& batches = role == InstanceRole::kPrefill ? s.prefill_tokens_per_gpu : s.decode_batch_per_gpu;
            for (int64_t n : nodes) {
              for (int64_t tp : s.attention_tp) {
                for (int64_t r : s.redundant_experts) {
                  for (int64_t b : batches) {
                    InstanceCandidate c{role, static_cast<int>(g), w, kv, d, static_cast<int>(n), static_cast<int>(tp),
                                        static_cast<int>(r), static_cast<int>(b)};
                    if (invalid_reason(c, plan).empty()) out.push_back(c);
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return out;
}

bool PrecisionKey::operator<(const PrecisionKey& o) const {
  return std::tie(gpu_index, weight_dtype, kv_dtype, dispatch_dtype) <
         std::tie(o.gpu_index, o.weight_dtype, o.kv_dtype, o.dispatch_dtype);
}

PrecisionKey precision_of(const InstanceCandidate& c) {
  return PrecisionKey{c.gpu_index, c.weight_dtype, c.kv_dtype, c.dispatch_dtype};
}

}  // namespace moesim::planner::search
