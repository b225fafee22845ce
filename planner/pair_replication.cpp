// Replica-count search for two slots per GPU (see pair_replication.hpp).
#include "planner/pair_replication.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <queue>

namespace moesim::planner {
namespace {

// Replicas as runs: every replica of an expert has the same load, so an expert is one run.
struct Run {
  double load;
  int count;
};

// The i-th heaviest replica meets the i-th lightest (optimal for two slots per GPU), walked run by
// run from both ends: `top`/`bottom` count the replicas already taken from the current runs.
// Max pair sum, and how many pairs reach it (within a relative 1e-12): the hill climbing below also
// accepts moves that keep the max but relieve some of the pairs at it.
struct PairingMax {
  double max = 0;
  long at_max = 0;
  bool better_than(const PairingMax& o) const {
    return max < o.max * (1 - 1e-12) || (max <= o.max * (1 + 1e-12) && at_max < o.at_max);
  }
};

PairingMax pairing_profile(const std::vector<Run>& runs) {
  long total = 0;
  for (const Run& r : runs) total += r.count;
  size_t hi = 0, lo = runs.size() - 1;
  int top = 0, bottom = 0;
  PairingMax out;
  for (long pairs = total / 2; pairs > 0 && hi <= lo;) {
    long step = std::min<long>({runs[hi].count - top, runs[lo].count - bottom, pairs});
    if (hi == lo) step = std::min<long>(pairs, (runs[hi].count - top - bottom) / 2);
    if (step <= 0) break;
    const double sum = runs[hi].load + runs[lo].load;
    if (sum > out.max * (1 + 1e-12)) {
      out = {sum, step};
    } else if (sum >= out.max * (1 - 1e-12)) {
      out.at_max += step;
    }
    top += static_cast<int>(step), bottom += static_cast<int>(step), pairs -= step;
    if (top == runs[hi].count) ++hi, top = 0;
    if (bottom == runs[lo].count && lo > 0) --lo, bottom = 0;
  }
  return out;
}

double pairing_max(const std::vector<Run>& runs) { return pairing_profile(runs).max; }

std::vector<Run> runs_of(const std::vector<double>& load, const std::vector<int>& count) {
  std::vector<Run> runs;
  for (size_t e = 0; e < load.size(); ++e) runs.push_back({load[e] / count[e], count[e]});
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.load > b.load; });
  return runs;
}

// Experts worth trying: those whose replicas are heaviest or lightest, and cheap donors.
std::vector<int> top_by(const std::vector<double>& key, const std::vector<bool>& allowed, size_t k) {
  std::vector<int> ids;
  for (size_t e = 0; e < key.size(); ++e) {
    if (allowed[e]) ids.push_back(static_cast<int>(e));
  }
  const size_t n = std::min(k, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + n, ids.end(), [&](int a, int b) { return key[a] < key[b] || (key[a] == key[b] && a < b); });
  ids.resize(n);
  return ids;
}

}  // namespace

std::vector<int> level_replication(const std::vector<double>& load, int slots, int cap, double level, bool spread) {
  const size_t n = load.size();
  std::vector<int> count(n, 1);
  int extras = slots - static_cast<int>(n);
  std::priority_queue<std::pair<double, int>> heavy;
  for (size_t e = 0; e < n; ++e) heavy.emplace(load[e], -static_cast<int>(e));
  while (extras > 0 && !heavy.empty() && heavy.top().first > level) {
    const int e = -heavy.top().second;
    heavy.pop();
    if (count[e] >= cap) continue;
    --extras;
    heavy.emplace(load[e] / ++count[e], -e);
  }
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return load[a] < load[b]; });
  if (spread) {
    for (int e : order) {
      if (extras == 0) break;
      if (count[e] == 1 && count[e] < cap) ++count[e], --extras;
    }
  }
  // Concentrate (or, once every light expert is split, continue): the lightest replica splits.
  std::priority_queue<std::pair<double, int>, std::vector<std::pair<double, int>>, std::greater<>> light;
  for (size_t e = 0; e < n; ++e) {
    if (count[e] < cap) light.emplace(load[e] / count[e], static_cast<int>(e));
  }
  while (extras > 0 && !light.empty()) {
    const int e = light.top().second;
    light.pop();
    --extras;
    if (++count[e] < cap) light.emplace(load[e] / count[e], e);
  }
  return count;
}

double optimal_pairing_max(const std::vector<double>& load, const std::vector<int>& count) {
  return pairing_max(runs_of(load, count));
}

namespace {

// Hill climbing from `count`: one replica from a donor to a recipient while the pairing improves
// (lower max, or as high a max reached by fewer pairs). Candidates: the experts with the heaviest and
// the lightest replicas take, the cheapest donors give.
std::vector<int> climb(const std::vector<double>& load, std::vector<int> count, int cap, size_t candidates) {
  const size_t n = load.size();
  PairingMax now = pairing_profile(runs_of(load, count));
  for (int iter = 0; iter < 400; ++iter) {
    std::vector<double> heavy(n), light(n), donor_cost(n);
    std::vector<bool> can_take(n), can_give(n);
    for (size_t e = 0; e < n; ++e) {
      heavy[e] = -load[e] / count[e];
      light[e] = load[e] / count[e];
      donor_cost[e] = count[e] > 1 ? load[e] / (count[e] - 1) : 0;
      can_take[e] = count[e] < cap;
      can_give[e] = count[e] > 1;
    }
    std::vector<int> recipients = top_by(heavy, can_take, candidates), extra = top_by(light, can_take, candidates);
    recipients.insert(recipients.end(), extra.begin(), extra.end());
    const std::vector<int> donors = top_by(donor_cost, can_give, candidates);
    bool improved = false;
    for (int d : donors) {
      for (int r : recipients) {
        if (d == r) continue;
        --count[d], ++count[r];
        const PairingMax m = pairing_profile(runs_of(load, count));
        if (m.better_than(now)) {
          now = m, improved = true;
          break;
        }
        ++count[d], --count[r];
      }
      if (improved) break;
    }
    if (!improved) break;
  }
  return count;
}

}  // namespace

std::vector<int> improve_pair_replication(const std::vector<double>& load, std::vector<int> count, int cap) {
  constexpr int kClimbs = 3;
  constexpr size_t kCandidates = 8;
  const size_t n = load.size();
  // Seeds: the given counts, and levels from the greedy's heaviest replica upwards with both
  // light-phase rules; the kClimbs best distinct seeds are climbed and the best result is kept.
  const int slots = std::accumulate(count.begin(), count.end(), 0);
  double level = 0;
  for (size_t e = 0; e < n; ++e) level = std::max(level, load[e] / count[e]);
  std::vector<std::pair<double, std::vector<int>>> seeds = {{optimal_pairing_max(load, count), count}};
  for (int step = 0; step <= 12; ++step) {
    for (bool spread : {true, false}) {
      std::vector<int> seed = level_replication(load, slots, cap, level * (1 + 0.05 * step), spread);
      seeds.emplace_back(optimal_pairing_max(load, seed), std::move(seed));
    }
  }
  std::stable_sort(seeds.begin(), seeds.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  seeds.erase(std::unique(seeds.begin(), seeds.end(), [](const auto& a, const auto& b) { return a.second == b.second; }), seeds.end());
  std::vector<int> best;
  double best_max = 0;
  for (size_t i = 0; i < seeds.size() && i < static_cast<size_t>(kClimbs); ++i) {
    std::vector<int> climbed = climb(load, seeds[i].second, cap, kCandidates);
    const double m = optimal_pairing_max(load, climbed);
    if (best.empty() || m < best_max * (1 - 1e-12)) best = std::move(climbed), best_max = m;
  }
  return best;
}

}  // namespace moesim::planner
