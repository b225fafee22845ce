// Internal to sim/serving: the discrete-event loop over requests and instance iterations.
#pragma once

#include <cstdint>
#include <deque>
#include <queue>
#include <random>
#include <vector>

#include "sim/serving/instance_model.hpp"
#include "sim/serving/serving_sim.hpp"

namespace moesim::sim::serving {

struct LoopConfig {
  bool disaggregated = true;
  int prefill_instances = 1, decode_instances = 1;
  const InstanceModel* prefill = nullptr;  // colocated: the pool's prefill-phase model
  const InstanceModel* decode = nullptr;
  int64_t prefill_budget_tokens = 0;       // new tokens per prefill iteration of one instance
  int64_t max_requests_per_group = 1;
  double kv_capacity_per_group = 0;        // tokens
  int64_t draft_tokens = 0;
  double acceptance_rate = 0;
  uint64_t seed = 1;
};

// One iteration as the metrics need it.
struct IterationStat {
  int role = 0;  // 0 prefill, 1 decode (colocated iterations count as decode)
  int instance = 0;
  double start_s = 0, end_s = 0;
  int64_t batch = 0;
  int64_t input_tokens = 0;   // prompt tokens completed (cache hits included), prefill
  int64_t output_tokens = 0;  // tokens emitted by decode
  double kv_used = 0, kv_capacity = 0;
};

class ServingLoop {
 public:
  ServingLoop(const LoopConfig& config, const std::vector<RequestRecord>& requests);
  // Runs until every request finished. REQUIRES: every request fits in one group's KV cache.
  void run(const ServingOptions& options);
  const std::vector<RequestOutcome>& outcomes() const { return out_; }
  const std::vector<IterationStat>& iterations() const { return stats_; }
  double kv_peak_fraction() const { return kv_peak_fraction_; }

 private:
  enum Kind { kArrival, kPrefillDone, kKvDone, kDecodeDone };
  struct Event {
    double t;
    uint64_t seq;
    int kind, id;
    bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };
  struct Group { int64_t active = 0; double kv_used = 0; double ctx_sum = 0; };
  struct PrefillInst {
    bool busy = false;
    std::vector<int> carry;  // unfinished chunked requests, oldest first
    std::vector<std::pair<int, int64_t>> batch;
    double start = 0;
  };
  struct DecodeInst {
    bool busy = false;
    std::vector<int> active, joining;
    std::deque<int> waiting;
    std::vector<Group> groups;
    std::vector<std::pair<int, int64_t>> prefill_batch;  // colocated
    std::vector<int> carry;                               // colocated: unfinished chunked requests
    double start = 0;
  };

  void push(double t, int kind, int id);
  void on_arrival(int r);
  void try_start_prefill(int inst);
  void finish_prefill_batch(std::vector<std::pair<int, int64_t>>* batch, int inst, double start);
  int64_t take_prefill_batch(std::vector<int>* carry, std::vector<std::pair<int, int64_t>>* batch, DecodeInst* admit_into,
                             const InstanceModel& m);
  void on_kv_done(int r);
  bool admit(DecodeInst& d, int r);
  void try_start_decode(int inst);
  void on_decode_done(int inst);
  void finish_request(int r);
  double prefill_time(const std::vector<std::pair<int, int64_t>>& batch, const InstanceModel& m) const;

  LoopConfig cfg_;
  const std::vector<RequestRecord>& req_;
  std::vector<RequestOutcome> out_;
  std::vector<int64_t> pre_left_, pre_done_;
  std::vector<int> group_of_, inst_of_;
  std::deque<int> prefill_queue_;
  std::vector<PrefillInst> pre_;
  std::vector<DecodeInst> dec_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  uint64_t seq_ = 0;
  double now_ = 0;
  size_t next_arrival_ = 0;
  int64_t completed_ = 0;
  int next_decode_ = 0;
  std::mt19937_64 rng_;
  std::vector<IterationStat> stats_;
  double kv_peak_fraction_ = 0;
};

}  // namespace moesim::sim::serving
