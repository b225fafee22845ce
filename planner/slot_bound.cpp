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
#include <limits>
#include <numeric>
#include <utility>

#include "planner/balanced.hpp"
#include "planner/pair_replication.hpp"

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


// Bound (e), two slots per GPU; the argument, step by step:
//  1. Every GPU holds exactly two replicas ("pieces"), so max GPU load <= T means a pairing of all
//     pieces with every pair sum <= T; no piece may exceed T, so expert e has r_e >= ceil(load_e / T).
//  2. Fix y in (0, T/2]. A piece p > T - y (so p > T/2) needs a partner <= T - p < y. Partners of
//     distinct pieces are distinct, and a partner (< y <= T/2) is never itself such a big piece. So
//     G_y(r) = #(pieces > T - y) - #(pieces < y) <= 0 for every replication r that reaches T. We
//     evaluate G with a relative slack that only ever lowers it, so the condition stays necessary.
//  3. For weights lam_y >= 0 on finitely many cuts y, sum_y lam_y G_y(r) <= 0 then holds as well. The
//     sum is separable: the r_e pieces of size q = load_e / r_e add r_e (Suf(T - q) - Suf(q)), Suf(z)
//     being the weight of cuts above z. Its minimum over all r (r_e >= ceil(load_e / T), sum r_e =
//     2 × gpus, nothing else assumed: two replicas of one expert may share a GPU) is an exact
//     knapsack DP over the extra replicas.
//  4. If that minimum is > 0, no replication reaches T, so T is a lower bound. How the weights were
//     found does not matter for the proof (any nonnegative weights are a valid certificate); we find
//     them by subgradient steps, adding the cuts that the DP's minimisers violate.
namespace {

constexpr double kSlack = 1e-12;   // relative, always in the direction that weakens G (step 2)
constexpr double kProof = 1e-9;    // the DP minimum must exceed this (weights sum to 1)
constexpr double kBelow = 1e-9;    // certify just below a reached value: relative distance
constexpr double kRate = 10;      // subgradient step scale (weights live on the simplex)

struct Cuts {
  std::vector<double> at;      // ascending
  std::vector<double> weight;  // lam >= 0
};

// Pieces of one replication, sorted, with prefix counts: evaluates G_y (step 2).
class Pieces {
 public:
  Pieces(const std::vector<double>& load, const std::vector<int>& count) {
    std::vector<std::pair<double, int>> runs;
    for (size_t e = 0; e < load.size(); ++e) runs.emplace_back(load[e] / count[e], count[e]);
    std::sort(runs.begin(), runs.end());
    long total = 0;
    for (const auto& [size, n] : runs) {
      total += n;
      if (!size_.empty() && size_.back() == size) {
        below_.back() = total;
      } else {
        size_.push_back(size);
        below_.push_back(total);
      }
    }
    total_ = total;
  }
  // #(p > (t - y)(1 + slack)) - #(p < y (1 + slack)).
  long violation(double t, double y) const {
    const size_t big = std::upper_bound(size_.begin(), size_.end(), (t - y) * (1 + kSlack)) - size_.begin();
    const size_t small = std::lower_bound(size_.begin(), size_.end(), y * (1 + kSlack)) - size_.begin();
    return (total_ - (big ? below_[big - 1] : 0)) - (small ? below_[small - 1] : 0);
  }
  const std::vector<double>& sizes() const { return size_; }

 private:
  std::vector<double> size_;  // distinct piece sizes, ascending
  std::vector<long> below_;   // pieces of size <= size_[i]
  long total_ = 0;
};

// Step 3: min over replications of sum_j lam_j G_j at t, by DP over the extra replicas.
class PairDual {
 public:
  PairDual(const std::vector<double>& load, int gpus) : load_(load), slots_(2 * gpus) {}

  // +infinity when ceil(load / t) replicas do not even fit; the minimiser is left in argmin().
  double value(double t, const Cuts& cuts) {
    const size_t n = load_.size();
    long extras = slots_;
    base_.resize(n);
    for (size_t e = 0; e < n; ++e) extras -= base_[e] = std::max(1, static_cast<int>(std::ceil(load_[e] / t - 1e-9)));
    if (extras < 0) return std::numeric_limits<double>::infinity();
    const int x_max = static_cast<int>(extras);
    at_.assign(cuts.at.size(), 0.0);
    suffix_.assign(cuts.at.size() + 1, 0.0);
    for (size_t j = 0; j < cuts.at.size(); ++j) at_[j] = std::min(cuts.at[j], t / 2);  // clamped: still a valid cut
    for (size_t j = cuts.at.size(); j-- > 0;) suffix_[j] = suffix_[j + 1] + cuts.weight[j];
    auto above = [&](double z) { return suffix_[std::upper_bound(at_.begin(), at_.end(), z) - at_.begin()]; };
    best_.assign(x_max + 1, std::numeric_limits<double>::infinity());
    best_[0] = 0;
    choice_.assign(n * (x_max + 1), 0);
    cost_.resize(x_max + 1);
    for (size_t e = 0; e < n; ++e) {
      for (int k = 0; k <= x_max; ++k) {
        const double r = base_[e] + k, q = load_[e] / r;
        cost_[k] = r * (above(t - q / (1 + kSlack)) - above(q / (1 + kSlack)));
      }
      for (int x = x_max; x >= 0; --x) {
        double v = best_[x] + cost_[0];
        int pick = 0;
        for (int k = 1; k <= x; ++k) {
          const double w = best_[x - k] + cost_[k];
          if (w < v) v = w, pick = k;
        }
        best_[x] = v;  // best_[x - k] for k >= 1 is not yet overwritten: x runs downwards
        choice_[e * (x_max + 1) + x] = pick;
      }
    }
    count_.resize(n);
    for (size_t e = n, x = x_max; e-- > 0;) {
      const int k = choice_[e * (x_max + 1) + x];
      count_[e] = base_[e] + k;
      x -= k;
    }
    return best_[x_max];
  }
  const std::vector<int>& argmin() const { return count_; }

 private:
  const std::vector<double>& load_;
  int slots_;
  std::vector<int> base_, count_, choice_;
  std::vector<double> at_, suffix_, best_, cost_;
};

// Step 4: searches weights, keeping the best (largest minimum) seen at the last t tried.
class PairSearch {
 public:
  enum class Outcome { kProven, kReached, kUnknown };

  PairSearch(const std::vector<double>& load, int gpus, double upper) : load_(load), dual_(load, gpus), upper_(upper) {
    cuts_ = {{std::numeric_limits<double>::infinity()}, {1.0}};  // clamped to t/2: #big <= #small
  }
  // Subgradient steps at t (spending *budget). kReached: a minimiser pairs at or below t (upper()
  // then holds its max, an achievable value of this relaxation).
  Outcome certify(double t, int* budget) {
    best_value_ = -std::numeric_limits<double>::infinity();
    for (; *budget > 0; --*budget) {
      const double v = dual_.value(t, cuts_);
      if (v > best_value_) best_value_ = v, best_cuts_ = cuts_;
      if (v > kProof) return Outcome::kProven;
      const std::vector<int>& count = dual_.argmin();
      const double reached = optimal_pairing_max(load_, count);
      if (reached < upper_) upper_ = reached;
      if (reached <= t) return Outcome::kReached;
      step(Pieces(load_, count), t, v);
    }
    return Outcome::kUnknown;
  }
  bool proves(double t) { return dual_.value(t, best_cuts_) > kProof; }
  double upper() const { return upper_; }

 private:
  void step(const Pieces& pieces, double t, double value) {
    for (double s : pieces.sizes()) {  // new cuts just below each small piece the minimiser violates
      const double y = s * (1 - kBelow);
      if (s >= t / 2 || pieces.violation(t, y) <= 0) continue;
      const auto pos = std::lower_bound(cuts_.at.begin(), cuts_.at.end(), y);
      if (pos != cuts_.at.end() && *pos == y) continue;
      cuts_.weight.insert(cuts_.weight.begin() + (pos - cuts_.at.begin()), 0.0);
      cuts_.at.insert(pos, y);
    }
    std::vector<double> g(cuts_.at.size());
    double norm = 0;
    for (size_t j = 0; j < g.size(); ++j) {
      g[j] = static_cast<double>(pieces.violation(t, std::min(cuts_.at[j], t / 2)));
      norm += g[j] * g[j];
    }
    if (norm == 0) return;
    const double rate = kRate * (-value / norm + 0.02 / std::sqrt(norm));  // Polyak towards 0, plus a floor
    double sum = 0;
    for (size_t j = 0; j < g.size(); ++j) sum += cuts_.weight[j] = std::max(0.0, cuts_.weight[j] + rate * g[j]);
    if (sum <= 0) {
      for (size_t j = 0; j < g.size(); ++j) sum += cuts_.weight[j] = std::max(0.0, g[j]);
    }
    for (double& w : cuts_.weight) w /= sum;
  }

  const std::vector<double>& load_;
  PairDual dual_;
  double upper_;
  Cuts cuts_, best_cuts_;
  double best_value_ = 0;
};

}  // namespace

bool pair_certificate_holds(const std::vector<double>& load, int gpus, double t, const std::vector<double>& cut,
                            const std::vector<double>& weight) {
  Cuts cuts;
  std::vector<size_t> order(cut.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cut[a] < cut[b]; });
  double sum = 0;
  for (size_t i : order) cuts.at.push_back(cut[i]), cuts.weight.push_back(std::max(0.0, weight[i])), sum += cuts.weight.back();
  if (sum <= 0) return false;
  for (double& w : cuts.weight) w /= sum;
  return PairDual(load, gpus).value(t, cuts) > kProof;
}

double pair_lower_bound(const std::vector<double>& load, int gpus, double known_bound) {
  constexpr int kFirstBudget = 250, kRetryBudget = 60, kRetries = 3, kBisections = 14;
  // The DP costs experts × extras² per evaluation; far more extras than decode's 32 are skipped.
  constexpr double kMaxDpCells = 4e6;
  const int slots = 2 * gpus;
  const double extras = slots - static_cast<double>(load.size());
  if (known_bound <= 0 || load.empty() || static_cast<double>(load.size()) * extras * extras > kMaxDpCells) return known_bound;
  const double reached = optimal_pairing_max(load, improve_pair_replication(load, capped_replication(load, slots, gpus), gpus));
  PairSearch search(load, gpus, reached);
  // Certify just below the best value reached; a minimiser that reaches lower moves the target down.
  double target = 0;
  PairSearch::Outcome outcome = PairSearch::Outcome::kReached;
  for (int budget = kFirstBudget; outcome == PairSearch::Outcome::kReached;) {
    target = search.upper() * (1 - kBelow);
    if (target <= known_bound) return known_bound;
    outcome = search.certify(target, &budget);
  }
  if (outcome == PairSearch::Outcome::kProven) return target;
  // Otherwise: the best weights at `target` often still prove something lower (bisection), and short
  // warm-started runs between that and `target` may prove more.
  double lo = known_bound, hi = target;
  for (int round = 0;; ++round) {
    double top = hi;
    for (int step = 0; step < kBisections; ++step) {
      const double mid = (lo + top) / 2;
      (search.proves(mid) ? lo : top) = mid;
    }
    if (round == kRetries) return lo;
    const double mid = (lo + hi) / 2;
    int budget = kRetryBudget;
    if (search.certify(mid, &budget) == PairSearch::Outcome::kProven) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
}

}  // namespace moesim::planner
