// Bound (d) of placement_stats.hpp; the argument, step by step:
//  1. Every replica is <= T, so expert e needs c_e >= base_e = ceil(load_e / T) replicas; the
//     X = slots - sum(base) extras are what any replication can still choose.
//  2. Call a replica big if > a and small if < b = T - a. Feasibility needs
//     sum_e cost_e(c_e) <= 0 with cost = (S-1)·c if big, -c if small, 0 otherwise.
//  3. An extra replica lowers the cost by at most 1, except at the crossings big→middle,
//     big→small and middle→small, which give a one-off bonus. Taking X·1 plus the best set of
//     bonuses that fit in X extras (a multiple-choice knapsack, solved exactly by DP) over-estimates
//     the possible decrease, so base_cost - X - bonus > 0 proves T infeasible.
#include "planner/slot_bound.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace moesim::planner {
namespace {

struct Option {
  int extra;  // extras needed to cross
  int bonus;  // decrease beyond one per extra
};

// Folds one expert's mutually exclusive options into the knapsack table.
void add_options(std::vector<int>* best, const Option* options, int count) {
  const std::vector<int> before = *best;
  const int cap = static_cast<int>(best->size()) - 1;
  for (int o = 0; o < count; ++o) {
    if (options[o].bonus <= 0 || options[o].extra > cap) continue;
    for (int x = options[o].extra; x <= cap; ++x) {
      (*best)[x] = std::max((*best)[x], before[x - options[o].extra] + options[o].bonus);
    }
  }
}

}  // namespace

bool proven_infeasible(const std::vector<double>& load, int slots_per_gpu, int gpus, double t, double a) {
  const double b = t - a;
  const int s1 = slots_per_gpu - 1;
  long extras = static_cast<long>(slots_per_gpu) * gpus;
  std::vector<int> base(load.size());
  for (size_t e = 0; e < load.size(); ++e) extras -= base[e] = std::max(1, static_cast<int>(std::ceil(load[e] / t)));
  if (extras < 0) return true;  // step 1: not even enough slots to keep replicas <= T
  long base_cost = 0;
  std::vector<int> best(extras + 1, 0);
  for (size_t e = 0; e < load.size(); ++e) {
    const int c = base[e];
    const double r = load[e] / c;
    if (r < b) {
      base_cost -= c;
      continue;
    }
    // Extras to cross into small / middle (as doubles: can be huge when b is tiny).
    const double to_small = std::floor(load[e] / b) + 1 - c;
    const double to_middle = std::ceil(load[e] / a) - c;
    Option options[2];
    int count = 0;
    if (to_small <= extras) options[count++] = {static_cast<int>(to_small), (r > a ? slots_per_gpu : 1) * c};
    if (r > a) {
      base_cost += static_cast<long>(s1) * c;
      if (to_middle < to_small && to_middle <= extras) {
        options[count++] = {static_cast<int>(to_middle), s1 * c - static_cast<int>(to_middle)};
      }
    }
    add_options(&best, options, count);
  }
  return base_cost - extras - best.back() > 0;
}

double slot_count_lower_bound(const std::vector<double>& load, int slots_per_gpu, int gpus, double known_bound) {
  if (slots_per_gpu < 2 || known_bound <= 0) return known_bound;
  constexpr int kGrid = 24, kSteps = 12;
  int witness = 0;  // the threshold that last proved infeasibility is tried first
  auto infeasible = [&](double t) {
    if (proven_infeasible(load, slots_per_gpu, gpus, t, t / 2 + t / 2 * witness / kGrid)) return true;
    for (int j = 0; j < kGrid; ++j) {
      if (j != witness && proven_infeasible(load, slots_per_gpu, gpus, t, t / 2 + t / 2 * j / kGrid)) {
        witness = j;
        return true;
      }
    }
    return false;
  };
  double lo = known_bound, hi = 2 * known_bound;
  for (int k = 0; k < 4 && infeasible(hi); ++k) lo = hi, hi *= 2;
  for (int step = 0; step < kSteps; ++step) {
    const double mid = (lo + hi) / 2;
    (infeasible(mid) ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace moesim::planner
