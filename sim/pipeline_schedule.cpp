#include "sim/pipeline_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

namespace moesim::sim {

namespace {

using Order = std::vector<std::vector<ScheduleTask>>;

ScheduleTask task(TaskKind kind, int chunk = 0, int chunk2 = 0, int send_delay = 0) {
  return {kind, chunk, chunk2, send_delay};
}

// 1F1B; with `split` (ZB-H1) the backward computes the input gradient only and queues the weight
// gradient, which the executor places in idle time or where memory requires it.
Order one_f_one_b(int pp, int m, bool split) {
  const TaskKind backward = split ? TaskKind::kBackwardInput : TaskKind::kBackward;
  Order order(pp);
  for (int r = 0; r < pp; ++r) {
    const int warmup = std::min(pp - 1 - r, m);
    for (int i = 0; i < warmup; ++i) order[r].push_back(task(TaskKind::kForward));
    for (int i = 0; i < m - warmup; ++i) {
      order[r].push_back(task(TaskKind::kForward));
      order[r].push_back(task(backward));
    }
    for (int i = 0; i < warmup; ++i) order[r].push_back(task(backward));
  }
  return order;
}

// DualPipe's eight steps per rank (deepseek-ai/DualPipe, dualpipe.py), chunks as the rank sees them.
std::vector<ScheduleTask> dual_pipe_rank(int pp, int m, int rank) {
  const int half_ranks = pp / 2, half_chunks = m / 2;
  const int half_rank = std::min(rank, pp - 1 - rank);
  const bool middle = half_rank == half_ranks - 1;
  std::vector<ScheduleTask> t;
  auto F = [&](int c, int send_delay = 0) { t.push_back(task(TaskKind::kForward, c, 0, send_delay)); };
  auto B = [&](int c, bool zb) { t.push_back(task(zb ? TaskKind::kBackwardInput : TaskKind::kBackward, c)); };
  auto W = [&] { t.push_back(task(TaskKind::kWeight)); };
  auto FB = [&](int f, int b) { t.push_back(task(TaskKind::kForwardBackward, f, b)); };
  for (int i = 0; i < (half_ranks - half_rank - 1) * 2; ++i) F(0);       // 1: nF0
  // 2: nF0F1; off the middle, F0's output is sent together with F1's.
  for (int i = 0; i < half_rank + 1; ++i) F(0, middle ? 0 : 1), F(1);
  for (int i = 0; i < half_ranks - half_rank - 1; ++i) B(1, true), W(), F(1);  // 3: nB1W1F1
  const int step4 = half_chunks - pp + half_rank + 1;                     // 4: nF0B1F1B0
  for (int i = 0; i < step4; ++i) {
    if (i == 0 && middle) {
      F(0, 1), B(1, false);  // not overlapped, to shrink the bubble; F0 sent after B1
    } else {
      FB(0, 1);
    }
    FB(1, 0);
  }
  for (int i = 0; i < half_ranks - half_rank - 1; ++i) B(1, false), FB(1, 0);  // 5: nB1F1B0
  bool zb = false;                                                              // 6: nB1B0
  const int step6 = half_rank + 1;
  for (int i = 0; i < step6; ++i) {
    if (i == step6 / 2 && half_rank % 2 == 1) zb = true;
    B(1, zb);
    if (i == step6 / 2 && half_rank % 2 == 0) zb = true;
    B(0, zb);
  }
  for (int i = 0; i < half_ranks - half_rank - 1; ++i) W(), B(0, true);  // 7: nWB0
  for (int i = 0; i < half_rank + 1; ++i) W();                           // 8: nW
  return t;
}

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

struct QueuedWeight {
  int stage;
  int micro_batch;
};

// Mutable state of one rank while the schedule runs.
struct PendingSend {
  double* slot;
  int remaining;  // tasks still to finish before the send is posted
};

struct RankState {
  size_t next = 0;
  std::vector<PendingSend> pending;
  double free_s = 0;
  double busy_s = 0;
  int forwards[2] = {0, 0};
  int backwards[2] = {0, 0};
  std::deque<QueuedWeight> weights;
};

class Executor {
 public:
  Executor(ScheduleKind kind, int pp, int m, const StageCosts& c, Order order)
      : kind_(kind), pp_(pp), per_dir_(kind == ScheduleKind::kDualPipe ? m / 2 : m), c_(c),
        order_(std::move(order)), ranks_(pp) {
    for (auto* v : {&fwd_end_, &bwd_end_, &fwd_done_last_}) v->assign(2 * pp * per_dir_, kUnknown);
  }

  Result<PipelineResult> run();

 private:
  int dir(int rank, int chunk) const {
    return kind_ == ScheduleKind::kDualPipe ? chunk ^ (rank >= pp_ / 2 ? 1 : 0) : 0;
  }
  int stage(int rank, int direction) const { return direction == 0 ? rank : pp_ - 1 - rank; }
  size_t key(int d, int v, int i) const { return (static_cast<size_t>(d) * pp_ + v) * per_dir_ + i; }
  double forward_ready(int rank, int chunk) const;
  double backward_ready(int rank, int chunk) const;
  double ready(int rank, const ScheduleTask& t) const;
  double duration(int rank, const ScheduleTask& t) const;
  void execute(int rank, const ScheduleTask& t, double start);

  ScheduleKind kind_;
  int pp_, per_dir_;
  const StageCosts& c_;
  Order order_;
  std::vector<RankState> ranks_;
  std::vector<double> fwd_end_, bwd_end_;
  std::vector<double> fwd_done_last_;  // last-stage forwards whose (unneeded) send is held back
  PipelineResult result_;
};

double Executor::forward_ready(int rank, int chunk) const {
  const int d = dir(rank, chunk), v = stage(rank, d), i = ranks_[rank].forwards[chunk];
  if (i >= per_dir_) return kUnknown;
  if (v == 0) return 0.0;
  return fwd_end_[key(d, v - 1, i)] + c_.p2p_s;
}

double Executor::backward_ready(int rank, int chunk) const {
  const int d = dir(rank, chunk), v = stage(rank, d), i = ranks_[rank].backwards[chunk];
  if (i >= per_dir_) return kUnknown;
  if (v == pp_ - 1) {
    const double own = fwd_done_last_[key(d, v, i)];
    return std::isnan(own) ? fwd_end_[key(d, v, i)] : own;
  }
  return bwd_end_[key(d, v + 1, i)] + c_.p2p_s;
}

double Executor::ready(int rank, const ScheduleTask& t) const {
  switch (t.kind) {
    case TaskKind::kForward: return forward_ready(rank, t.chunk);
    case TaskKind::kBackward:
    case TaskKind::kBackwardInput: return backward_ready(rank, t.chunk);
    case TaskKind::kWeight: return ranks_[rank].weights.empty() ? kUnknown : 0.0;
    case TaskKind::kForwardBackward: return std::max(forward_ready(rank, t.chunk), backward_ready(rank, t.chunk2));
  }
  return kUnknown;
}

double Executor::duration(int rank, const ScheduleTask& t) const {
  auto v_of = [&](int chunk) { return stage(rank, dir(rank, chunk)); };
  const int v = v_of(t.chunk);
  switch (t.kind) {
    case TaskKind::kForward: return c_.forward_s[v];
    case TaskKind::kBackward: return c_.backward_input_s[v] + c_.weight_s[v];
    case TaskKind::kBackwardInput: return c_.backward_input_s[v];
    case TaskKind::kWeight: return c_.weight_s[ranks_[rank].weights.front().stage];
    case TaskKind::kForwardBackward: {
      const int vb = v_of(t.chunk2);
      if (c_.overlapped_s) return c_.overlapped_s(v, vb);
      return c_.forward_s[v] + c_.backward_input_s[vb] + c_.weight_s[vb];
    }
  }
  return 0;
}

void Executor::execute(int rank, const ScheduleTask& t, double start) {
  RankState& s = ranks_[rank];
  const double end = start + duration(rank, t);
  // Sends held back by earlier tasks go out when this one ends.
  for (PendingSend& p : s.pending)
    if (--p.remaining == 0) *p.slot = end;
  s.pending.erase(std::remove_if(s.pending.begin(), s.pending.end(),
                                 [](const PendingSend& p) { return p.remaining <= 0; }),
                  s.pending.end());
  auto finish_forward = [&](int chunk) {
    const int d = dir(rank, chunk), v = stage(rank, d);
    const int i = s.forwards[chunk]++;
    if (t.send_delay > 0) {
      s.pending.push_back({&fwd_end_[key(d, v, i)], t.send_delay});
      if (v == pp_ - 1) fwd_done_last_[key(d, v, i)] = end;  // the loss needs no send
    } else {
      fwd_end_[key(d, v, i)] = end;
    }
    return "F" + std::to_string(d * per_dir_ + i);
  };
  auto finish_backward = [&](int chunk, bool queue_weight) {
    const int d = dir(rank, chunk), v = stage(rank, d);
    const int i = s.backwards[chunk]++;
    bwd_end_[key(d, v, i)] = end;
    if (queue_weight) s.weights.push_back({v, d * per_dir_ + i});
    return std::to_string(d * per_dir_ + i);
  };
  std::string name;
  int v = stage(rank, dir(rank, t.chunk));
  const int v2 = t.kind == TaskKind::kForwardBackward ? stage(rank, dir(rank, t.chunk2)) : v;
  switch (t.kind) {
    case TaskKind::kForward: name = finish_forward(t.chunk); break;
    case TaskKind::kBackward: name = "B" + finish_backward(t.chunk, false); break;
    case TaskKind::kBackwardInput: name = "I" + finish_backward(t.chunk, true); break;
    case TaskKind::kWeight:
      v = s.weights.front().stage;
      name = "W" + std::to_string(s.weights.front().micro_batch);
      s.weights.pop_front();
      break;
    case TaskKind::kForwardBackward:
      name = finish_forward(t.chunk) + "+B" + finish_backward(t.chunk2, false);
      break;
  }
  s.busy_s += end - start;
  s.free_s = end;
  result_.events.push_back({rank, name, v, v2, start, end});
}

Result<PipelineResult> Executor::run() {
  const ScheduleTask deferred_weight = task(TaskKind::kWeight);
  for (;;) {
    // Pick the task that can start earliest over all ranks (ties: lowest rank), so that decisions
    // are taken in time order.
    int best_rank = -1;
    double best_start = std::numeric_limits<double>::infinity();
    bool best_is_deferred = false;
    for (int r = 0; r < pp_; ++r) {
      RankState& s = ranks_[r];
      double start = std::numeric_limits<double>::infinity();
      bool deferred = false;
      if (s.next < order_[r].size()) {
        const double rd = ready(r, order_[r][s.next]);
        if (!std::isnan(rd)) start = std::max(s.free_s, rd);
      }
      // ZB-H1: a queued weight gradient fills idle time when it ends before the next task can
      // start (or that start is not known yet); filling a shorter gap would delay the input
      // gradient that the earlier stages wait for. It also runs before a forward that would hold
      // more micro-batches' activations (forward done, weight gradient not) than the first stage
      // of 1F1B does (pp): same peak memory.
      const bool memory_full = s.next < order_[r].size() && order_[r][s.next].kind == TaskKind::kForward &&
                               s.forwards[0] - (s.backwards[0] - static_cast<int>(s.weights.size())) >= pp_;
      const bool fits = !s.weights.empty() && start > s.free_s &&
                        (std::isinf(start) || start - s.free_s >= c_.weight_s[s.weights.front().stage]);
      if (kind_ == ScheduleKind::kZb1p && !s.weights.empty() && (fits || memory_full)) {
        start = s.free_s;
        deferred = true;
      }
      if (start < best_start) best_rank = r, best_start = start, best_is_deferred = deferred;
    }
    if (best_rank < 0) break;
    RankState& s = ranks_[best_rank];
    if (best_is_deferred) {
      execute(best_rank, deferred_weight, best_start);
    } else {
      execute(best_rank, order_[best_rank][s.next], best_start);
      ++s.next;
    }
  }
  for (int r = 0; r < pp_; ++r) {
    const RankState& s = ranks_[r];
    if (s.next < order_[r].size() || !s.weights.empty() || !s.pending.empty())
      return Error{ErrorKind::kInternal, "pipeline schedule deadlocked at rank " + std::to_string(r)};
    result_.makespan_s = std::max(result_.makespan_s, s.free_s);
  }
  for (const RankState& s : ranks_) {
    result_.busy_s.push_back(s.busy_s);
    result_.bubble_s.push_back(result_.makespan_s - s.busy_s);
  }
  return std::move(result_);
}

}  // namespace

const char* schedule_name(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::k1F1B: return "1f1b";
    case ScheduleKind::kZb1p: return "zb1p";
    case ScheduleKind::kDualPipe: return "dualpipe";
  }
  return "unknown";
}

Result<Order> build_schedule(ScheduleKind kind, int pp, int m) {
  if (pp < 1 || m < 1) return bad_input("pipeline needs pp >= 1 and micro_batches >= 1");
  switch (kind) {
    case ScheduleKind::k1F1B: return one_f_one_b(pp, m, false);
    case ScheduleKind::kZb1p: return one_f_one_b(pp, m, true);
    case ScheduleKind::kDualPipe: {
      if (pp % 2 != 0 || m % 2 != 0 || m < 2 * pp)
        return bad_input("DualPipe needs an even pp (" + std::to_string(pp) +
                         ") and an even number of micro-batches >= 2 x pp (" + std::to_string(m) + ")");
      Order order(pp);
      for (int r = 0; r < pp; ++r) order[r] = dual_pipe_rank(pp, m, r);
      return order;
    }
  }
  return bad_input("unknown schedule");
}

Result<PipelineResult> run_pipeline(ScheduleKind kind, int pp, int m, const StageCosts& costs) {
  Result<Order> order = build_schedule(kind, pp, m);
  if (!order.ok()) return order.errors();
  const size_t n = static_cast<size_t>(pp);
  if (costs.forward_s.size() != n || costs.backward_input_s.size() != n || costs.weight_s.size() != n)
    return Error{ErrorKind::kInternal, "stage costs do not match pp=" + std::to_string(pp)};
  Executor ex(kind, pp, m, costs, std::move(order).value());
  return ex.run();
}

double bubble_formula(ScheduleKind kind, int pp, double f, double b, double w, double f_and_b) {
  switch (kind) {
    case ScheduleKind::k1F1B: return (pp - 1) * (f + b);
    case ScheduleKind::kZb1p: return (pp - 1) * (f + b - 2 * w);
    case ScheduleKind::kDualPipe: return (pp / 2 - 1) * (f_and_b + b - 3 * w);
  }
  return 0;
}

}  // namespace moesim::sim
