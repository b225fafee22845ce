// Validation of the placement shape and the map bookkeeping shared by all policies.
#include "planner/placement.hpp"

#include <algorithm>

namespace moesim::planner {

std::vector<Error> validate_placement_spec(const PlacementSpec& s, int num_experts) {
  std::vector<Error> errors;
  auto positive = [&](const char* flag, int v) {
    if (v < 1) errors.push_back(bad_input(std::string(flag) + "=" + std::to_string(v) + " is invalid (expected a positive integer)"));
    return v >= 1;
  };
  const bool ok = positive("--replicas", s.replicas) & positive("--groups", s.groups) &
                  positive("--nodes", s.nodes) & positive("--gpus", s.gpus);
  if (!ok) return errors;
  const std::string r = "--replicas=" + std::to_string(s.replicas);
  const std::string m = "--gpus=" + std::to_string(s.gpus);
  if (s.replicas < num_experts) {
    errors.push_back(bad_input(r + " is less than the " + std::to_string(num_experts) +
                               " experts in the loads (expected at least one slot per expert)"));
  }
  if (s.replicas % s.gpus != 0) errors.push_back(bad_input(r + " is not a multiple of " + m + " (expected equal slots per GPU)"));
  if (num_experts % s.groups != 0) {
    errors.push_back(bad_input("--groups=" + std::to_string(s.groups) + " does not divide the " +
                               std::to_string(num_experts) + " experts in the loads"));
  }
  if (s.gpus % s.nodes != 0) {
    errors.push_back(bad_input(m + " is not a multiple of --nodes=" + std::to_string(s.nodes) + " (expected equal GPUs per node)"));
  }
  return errors;
}

void fill_logical_maps(PlacementPlan* plan, const PlacementSpec& spec, int num_experts) {
  const int width = std::max(1, spec.replicas - num_experts + 1);
  const size_t layers = plan->physical_to_logical.size();
  plan->logical_count.assign(layers, std::vector<int>(num_experts, 0));
  plan->logical_to_physical.assign(layers, std::vector<std::vector<int>>(num_experts, std::vector<int>(width, -1)));
  for (size_t l = 0; l < layers; ++l) {
    const auto& p2l = plan->physical_to_logical[l];
    for (int p = 0; p < static_cast<int>(p2l.size()); ++p) {
      int& count = plan->logical_count[l][p2l[p]];
      if (count < width) plan->logical_to_physical[l][p2l[p]][count] = p;
      ++count;
    }
  }
}

std::string check_plan(const PlacementPlan& plan, const PlacementSpec& spec, int num_experts) {
  const size_t layers = plan.physical_to_logical.size();
  if (plan.logical_count.size() != layers || plan.logical_to_physical.size() != layers) return "layer counts differ";
  for (size_t l = 0; l < layers; ++l) {
    const auto& p2l = plan.physical_to_logical[l];
    if (static_cast<int>(p2l.size()) != spec.replicas) return "layer " + std::to_string(l) + ": wrong slot count";
    std::vector<int> count(num_experts, 0);
    for (int e : p2l) {
      if (e < 0 || e >= num_experts) return "layer " + std::to_string(l) + ": expert id out of range";
      ++count[e];
    }
    for (int e = 0; e < num_experts; ++e) {
      const std::string at = "layer " + std::to_string(l) + ", expert " + std::to_string(e);
      if (count[e] < 1) return at + ": no replica";
      if (plan.logical_count[l][e] != count[e]) return at + ": logical_count disagrees";
      const auto& row = plan.logical_to_physical[l][e];
      for (int r = 0; r < static_cast<int>(row.size()); ++r) {
        const bool used = r < count[e];
        if (used != (row[r] >= 0)) return at + ": logical_to_physical padding disagrees";
        if (used && (row[r] >= spec.replicas || p2l[row[r]] != e)) return at + ": logical_to_physical disagrees";
      }
    }
  }
  return "";
}

std::vector<double> gpu_loads(const std::vector<int>& p2l, const std::vector<double>& load, const PlacementSpec& spec) {
  std::vector<int> count(load.size(), 0);
  for (int e : p2l) ++count[e];
  std::vector<double> per_gpu(spec.gpus, 0.0);
  const int per = slots_per_gpu(spec);
  for (size_t p = 0; p < p2l.size(); ++p) per_gpu[p / per] += load[p2l[p]] / count[p2l[p]];
  return per_gpu;
}

}  // namespace moesim::planner
