// The `balanced` policy (see balanced.hpp for the numbered steps).
#include "planner/balanced.hpp"

#include <algorithm>
#include <numeric>
#include <queue>

#include "planner/eplb.hpp"
#include "planner/pair_replication.hpp"
#include "planner/placement_stats.hpp"

namespace moesim::planner {
namespace {

using Bins = std::vector<std::vector<int>>;

bool holds(const std::vector<int>& bin, int e) { return std::find(bin.begin(), bin.end(), e) != bin.end(); }

std::vector<double> bin_loads(const Bins& bins, const std::vector<double>& replica_load) {
  std::vector<double> out(bins.size(), 0.0);
  for (size_t b = 0; b < bins.size(); ++b) {
    for (int e : bins[b]) out[b] += replica_load[e];
  }
  return out;
}

double max_of(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

// Step 3: heaviest replica first into the lightest GPU with room that lacks the expert; when every
// GPU with room already holds it (rare, at the very end) the duplicate is repaired afterwards.
Bins greedy_pack(const std::vector<int>& experts, const std::vector<int>& count, const std::vector<double>& replica_load,
                 int num_bins, int per_bin) {
  std::vector<int> order;
  for (size_t i = 0; i < experts.size(); ++i) order.insert(order.end(), count[i], experts[i]);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return replica_load[a] > replica_load[b]; });
  Bins bins(num_bins);
  std::vector<double> load(num_bins, 0.0);
  for (int e : order) {
    int best = -1, fallback = -1;
    for (int b = 0; b < num_bins; ++b) {
      if (static_cast<int>(bins[b].size()) >= per_bin) continue;
      if (fallback < 0 || load[b] < load[fallback]) fallback = b;
      if (!holds(bins[b], e) && (best < 0 || load[b] < load[best])) best = b;
    }
    const int b = best >= 0 ? best : fallback;
    bins[b].push_back(e);
    load[b] += replica_load[e];
  }
  return bins;
}

// Swaps one copy of a duplicated expert with an item of another GPU, keeping the max lowest.
void repair_duplicates(Bins* bins, const std::vector<double>& replica_load) {
  std::vector<double> load = bin_loads(*bins, replica_load);
  for (size_t h = 0; h < bins->size(); ++h) {
    for (size_t i = 0; i < (*bins)[h].size(); ++i) {
      const int e = (*bins)[h][i];
      if (std::count((*bins)[h].begin(), (*bins)[h].end(), e) < 2) continue;
      double best = 0;
      size_t best_g = 0, best_j = 0;
      bool found = false;
      for (size_t g = 0; g < bins->size(); ++g) {
        if (g == h || holds((*bins)[g], e)) continue;
        for (size_t j = 0; j < (*bins)[g].size(); ++j) {
          const int y = (*bins)[g][j];
          if (holds((*bins)[h], y)) continue;
          const double d = replica_load[e] - replica_load[y];
          const double worst = std::max(load[h] - d, load[g] + d);
          if (!found || worst < best) best = worst, best_g = g, best_j = j, found = true;
        }
      }
      if (!found) continue;  // cannot happen while count <= GPUs in the domain; left as is
      std::swap((*bins)[h][i], (*bins)[best_g][best_j]);
      const double d = replica_load[e] - replica_load[(*bins)[h][i]];
      load[h] -= d;
      load[best_g] += d;
    }
  }
}

Bins pack_and_improve(const std::vector<int>& experts, const std::vector<int>& count, const std::vector<double>& load,
                      int num_bins, int per_bin) {
  std::vector<double> replica_load(*std::max_element(experts.begin(), experts.end()) + 1, 0.0);
  for (size_t i = 0; i < experts.size(); ++i) replica_load[experts[i]] = load[experts[i]] / count[i];
  Bins bins = greedy_pack(experts, count, replica_load, num_bins, per_bin);
  repair_duplicates(&bins, replica_load);
  improve_by_swaps(&bins, replica_load);
  return bins;
}

double bins_max(const Bins& bins, const std::vector<int>& experts, const std::vector<int>& count,
                const std::vector<double>& load) {
  std::vector<double> replica_load(*std::max_element(experts.begin(), experts.end()) + 1, 0.0);
  for (size_t i = 0; i < experts.size(); ++i) replica_load[experts[i]] = load[experts[i]] / count[i];
  return max_of(bin_loads(bins, replica_load));
}

}  // namespace

std::vector<int> capped_replication(const std::vector<double>& load, int slots, int cap) {
  std::vector<int> count(load.size(), 1);
  std::priority_queue<std::pair<double, int>> heap;  // (load per replica, -index): ties to the lower index
  for (size_t e = 0; e < load.size(); ++e) {
    if (cap > 1) heap.emplace(load[e], -static_cast<int>(e));
  }
  for (int extra = slots - static_cast<int>(load.size()); extra > 0 && !heap.empty(); --extra) {
    const int e = -heap.top().second;
    heap.pop();
    if (++count[e] < cap) heap.emplace(load[e] / count[e], -e);
  }
  return count;
}

void improve_by_swaps(Bins* bins, const std::vector<double>& replica_load) {
  std::vector<double> load = bin_loads(*bins, replica_load);
  const size_t limit = 20 * bins->size() + 100;
  for (size_t iter = 0; iter < limit; ++iter) {
    const size_t h = std::max_element(load.begin(), load.end()) - load.begin();
    double best = load[h] * (1 - 1e-12);
    size_t best_g = h, best_i = 0, best_j = 0;
    for (size_t g = 0; g < bins->size(); ++g) {
      if (g == h) continue;
      for (size_t i = 0; i < (*bins)[h].size(); ++i) {
        const int a = (*bins)[h][i];
        for (size_t j = 0; j < (*bins)[g].size(); ++j) {
          const int b = (*bins)[g][j];
          const double d = replica_load[a] - replica_load[b];
          if (d <= 0 || std::max(load[h] - d, load[g] + d) >= best) continue;
          if (holds((*bins)[g], a) || holds((*bins)[h], b)) continue;
          best = std::max(load[h] - d, load[g] + d), best_g = g, best_i = i, best_j = j;
        }
      }
    }
    if (best_g == h) return;
    const double d = replica_load[(*bins)[h][best_i]] - replica_load[(*bins)[best_g][best_j]];
    std::swap((*bins)[h][best_i], (*bins)[best_g][best_j]);
    load[h] -= d;
    load[best_g] += d;
  }
}

namespace {

// Step 5: take a replica from one of the experts that miss it least, give it to an expert on the
// heaviest GPU, repack; keep the change only if the max GPU load drops.
void refine_replication(const std::vector<double>& load, const PackingDomain& domain, int per_gpu, int cap,
                        std::vector<int>* count, Bins* bins, double* best) {
  std::vector<double> domain_load;
  for (int e : domain.experts) domain_load.push_back(load[e]);
  for (int round = 0; round < 4; ++round) {
    std::vector<double> replica_load(load.size(), 0.0);
    for (size_t i = 0; i < domain.experts.size(); ++i) replica_load[domain.experts[i]] = load[domain.experts[i]] / (*count)[i];
    const std::vector<double> loads_now = bin_loads(*bins, replica_load);
    const size_t h = std::max_element(loads_now.begin(), loads_now.end()) - loads_now.begin();
    std::vector<int> donors;
    for (size_t i = 0; i < count->size(); ++i) {
      if ((*count)[i] > 1) donors.push_back(static_cast<int>(i));
    }
    auto cost = [&](int i) { return domain_load[i] / ((*count)[i] - 1); };
    std::stable_sort(donors.begin(), donors.end(), [&](int a, int b) { return cost(a) < cost(b); });
    if (donors.size() > 2) donors.resize(2);
    std::vector<int> heaviest = (*bins)[h];  // its three heaviest replicas are the recipients tried
    std::stable_sort(heaviest.begin(), heaviest.end(), [&](int a, int b) { return replica_load[a] > replica_load[b]; });
    if (heaviest.size() > 3) heaviest.resize(3);
    bool improved = false;
    for (int x : heaviest) {
      const int i = static_cast<int>(std::find(domain.experts.begin(), domain.experts.end(), x) - domain.experts.begin());
      if ((*count)[i] >= cap) continue;
      for (int donor : donors) {
        if (donor == i) continue;
        std::vector<int> trial = *count;
        --trial[donor], ++trial[i];
        Bins candidate = pack_and_improve(domain.experts, trial, load, domain.num_gpus, per_gpu);
        const double m = bins_max(candidate, domain.experts, trial, load);
        if (m < *best * (1 - 1e-12)) {
          *best = m, *bins = std::move(candidate), *count = std::move(trial), improved = true;
          break;
        }
      }
      if (improved) break;
    }
    if (!improved) return;
  }
}

}  // namespace

std::vector<std::vector<int>> place_domain(const std::vector<double>& load, const PackingDomain& domain, int per_gpu) {
  // Step 2.
  std::vector<double> domain_load;
  for (int e : domain.experts) domain_load.push_back(load[e]);
  // A GPU may hold two replicas of one expert only when the slots outnumber experts × GPUs.
  const int slots = domain.num_gpus * per_gpu, n = static_cast<int>(domain_load.size());
  const int cap = std::max(domain.num_gpus, (slots + n - 1) / n);
  std::vector<int> count = capped_replication(domain_load, slots, cap);
  if (per_gpu == 2) count = improve_pair_replication(domain_load, count, cap);
  // Steps 3-4, from the best of several replications (the level family of pair_replication.hpp).
  Bins bins = pack_and_improve(domain.experts, count, load, domain.num_gpus, per_gpu);
  double best = bins_max(bins, domain.experts, count, load);
  if (per_gpu > 2) {
    double level = 0;
    for (size_t i = 0; i < count.size(); ++i) level = std::max(level, domain_load[i] / count[i]);
    for (int step = 1; step <= 4; ++step) {
      for (bool spread : {true, false}) {
        std::vector<int> trial = level_replication(domain_load, slots, cap, level * (1 + 0.1 * step), spread);
        Bins candidate = pack_and_improve(domain.experts, trial, load, domain.num_gpus, per_gpu);
        const double m = bins_max(candidate, domain.experts, trial, load);
        if (m < best * (1 - 1e-12)) best = m, bins = std::move(candidate), count = std::move(trial);
      }
    }
  }
  // With two slots the pairing search above already judged counts against the exact packing.
  if (per_gpu > 2) refine_replication(load, domain, per_gpu, cap, &count, &bins, &best);
  return bins;
}

std::vector<PackingDomain> domains_for_partition(const std::vector<int>& node_of_group, int experts, const PlacementSpec& spec) {
  const int group_size = experts / spec.groups;
  std::vector<PackingDomain> domains(spec.nodes);
  for (int k = 0; k < spec.nodes; ++k) domains[k] = {{}, k * gpus_per_node(spec), gpus_per_node(spec)};
  for (int e = 0; e < experts; ++e) domains[node_of_group[e / group_size]].experts.push_back(e);
  return domains;
}

std::vector<std::vector<PackingDomain>> packing_domains(const std::vector<double>& load, const PlacementSpec& spec) {
  const int experts = static_cast<int>(load.size());
  if (!is_hierarchical(spec) || spec.nodes == 1) {
    PackingDomain all{std::vector<int>(experts), 0, spec.gpus};
    std::iota(all.experts.begin(), all.experts.end(), 0);
    return {{all}};
  }
  // Step 1: the partition that minimises the lower bound, and EPLB's greedy group packing.
  std::vector<std::vector<PackingDomain>> out = {domains_for_partition(best_group_partition(load, spec), experts, spec)};
  std::vector<double> group_load(spec.groups, 0.0);
  for (int e = 0; e < experts; ++e) group_load[e / (experts / spec.groups)] += load[e];
  const auto greedy = domains_for_partition(balanced_packing(group_load, spec.nodes).pack, experts, spec);
  bool same = true;
  for (int k = 0; k < spec.nodes; ++k) same = same && greedy[k].experts == out[0][k].experts;
  if (!same) out.push_back(greedy);
  return out;
}

std::vector<int> place_domains(const std::vector<double>& load, const std::vector<PackingDomain>& domains,
                               const PlacementSpec& spec) {
  const int per_gpu = slots_per_gpu(spec);
  std::vector<int> p2l(spec.replicas);
  for (const PackingDomain& d : domains) {
    const auto bins = place_domain(load, d, per_gpu);
    for (int g = 0; g < d.num_gpus; ++g) {
      std::vector<int> sorted = bins[g];
      std::sort(sorted.begin(), sorted.end());  // slot order inside a GPU does not matter; make it canonical
      std::copy(sorted.begin(), sorted.end(), p2l.begin() + (d.first_gpu + g) * per_gpu);
    }
  }
  return p2l;
}

std::vector<int> place_layer_balanced(const std::vector<double>& load, const PlacementSpec& spec) {
  std::vector<int> best;
  double best_max = 0;
  for (const auto& domains : packing_domains(load, spec)) {
    std::vector<int> p2l = place_domains(load, domains, spec);
    const auto loads = gpu_loads(p2l, load, spec);
    const double m = *std::max_element(loads.begin(), loads.end());
    if (best.empty() || m < best_max) best = std::move(p2l), best_max = m;
  }
  return best;
}

PlacementPlan place_balanced(const LoadMatrix& loads, const PlacementSpec& spec) {
  PlacementPlan plan;
  for (const auto& load : loads) plan.physical_to_logical.push_back(place_layer_balanced(load, spec));
  fill_logical_maps(&plan, spec, loads.empty() ? 0 : static_cast<int>(loads[0].size()));
  return plan;
}

}  // namespace moesim::planner
