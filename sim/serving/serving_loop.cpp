#include "sim/serving/serving_loop.hpp"

#include <algorithm>

#include "sim/serving/prefill_batch.hpp"

namespace moesim::sim::serving {

ServingLoop::ServingLoop(const LoopConfig& config, const std::vector<RequestRecord>& requests)
    : cfg_(config), req_(requests), rng_(config.seed ^ 0x4d5450ULL) {
  const size_t n = requests.size();
  out_.resize(n);
  pre_left_.assign(n, 0);
  pre_done_.assign(n, 0);
  group_of_.assign(n, -1);
  inst_of_.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    out_[i].arrival_s = requests[i].arrival_s;
    out_[i].input_tokens = requests[i].input_tokens;
    out_[i].output_tokens = requests[i].output_tokens;
    out_[i].cached_tokens = requests[i].cached_tokens;
  }
  pre_.resize(static_cast<size_t>(cfg_.disaggregated ? cfg_.prefill_instances : 0));
  dec_.resize(static_cast<size_t>(cfg_.decode_instances));
  for (DecodeInst& d : dec_) d.groups.resize(static_cast<size_t>(cfg_.decode->attention_groups()));
}

void ServingLoop::push(double t, int kind, int id) { events_.push({t, seq_++, kind, id}); }

void ServingLoop::run(const ServingOptions& options) {
  if (req_.empty()) return;
  push(req_[0].arrival_s, kArrival, 0);
  next_arrival_ = 1;
  int64_t last_report = 0;
  while (!events_.empty()) {
    const Event e = events_.top();
    events_.pop();
    now_ = e.t;
    switch (e.kind) {
      case kArrival: on_arrival(e.id); break;
      case kPrefillDone: {
        PrefillInst& p = pre_[static_cast<size_t>(e.id)];
        finish_prefill_batch(&p.batch, e.id, p.start);
        p.busy = false;
        try_start_prefill(e.id);
        break;
      }
      case kKvDone: on_kv_done(e.id); break;
      case kDecodeDone: on_decode_done(e.id); break;
    }
    if (options.progress && completed_ - last_report >= 1000) {
      last_report = completed_;
      options.progress(static_cast<double>(completed_) / static_cast<double>(req_.size()));
    }
  }
  if (options.progress) options.progress(1.0);
}

void ServingLoop::on_arrival(int r) {
  if (next_arrival_ < req_.size()) {
    push(req_[next_arrival_].arrival_s, kArrival, static_cast<int>(next_arrival_));
    ++next_arrival_;
  }
  const RequestRecord& q = req_[static_cast<size_t>(r)];
  pre_left_[static_cast<size_t>(r)] = q.input_tokens - q.cached_tokens;
  prefill_queue_.push_back(r);
  if (cfg_.disaggregated) {
    for (int i = 0; i < static_cast<int>(pre_.size()); ++i) try_start_prefill(i);
  } else {
    for (int i = 0; i < static_cast<int>(dec_.size()); ++i) try_start_decode(i);
  }
}

// Fills a chunked-prefill batch up to the token budget (prefill_batch.hpp): the instance's
// unfinished requests first, then the shared queue in arrival order. Colocated: a request enters
// only with a KV reservation.
int64_t ServingLoop::take_prefill_batch(std::vector<int>* carry, std::vector<std::pair<int, int64_t>>* batch,
                                        DecodeInst* admit_into, const InstanceModel& m) {
  const int64_t cap = group_token_cap(cfg_.prefill_budget_tokens, m.attention_groups());
  auto next = [&]() -> int {
    if (prefill_queue_.empty()) return -1;
    const int r = prefill_queue_.front();
    if (admit_into != nullptr && !admit(*admit_into, r)) return -1;
    prefill_queue_.pop_front();
    return r;
  };
  return fill_prefill_batch(cfg_.prefill_budget_tokens, cap, carry, &pre_left_, next, batch);
}

// The busiest attention group sets the iteration's pace (prefill_batch.hpp).
double ServingLoop::prefill_time(const std::vector<std::pair<int, int64_t>>& batch, const InstanceModel& m) const {
  std::vector<PrefillChunk> chunks;
  chunks.reserve(batch.size());
  for (const auto& [r, chunk] : batch) {
    const size_t i = static_cast<size_t>(r);
    chunks.push_back({chunk, req_[i].cached_tokens + pre_done_[i] + chunk});
  }
  const int64_t cap = group_token_cap(cfg_.prefill_budget_tokens, m.attention_groups());
  const GroupShape g = busiest_group(chunks, m.attention_groups(), cap);
  return m.prefill_step_s(g.sequences, g.new_tokens, g.context_tokens);
}

void ServingLoop::try_start_prefill(int inst) {
  PrefillInst& p = pre_[static_cast<size_t>(inst)];
  if (p.busy) return;
  if (take_prefill_batch(&p.carry, &p.batch, nullptr, *cfg_.prefill) == 0) return;
  p.busy = true;
  p.start = now_;
  push(now_ + prefill_time(p.batch, *cfg_.prefill), kPrefillDone, inst);
}

void ServingLoop::finish_prefill_batch(std::vector<std::pair<int, int64_t>>* batch, int inst, double start) {
  IterationStat st{0, inst, start, now_, static_cast<int64_t>(batch->size()), 0, 0, 0, 0};
  for (const auto& [r, chunk] : *batch) {
    const size_t i = static_cast<size_t>(r);
    st.input_tokens += chunk + (pre_done_[i] == 0 ? req_[i].cached_tokens : 0);
    pre_done_[i] += chunk;
    if (pre_left_[i] > 0) continue;
    out_[i].first_token_s = now_;
    out_[i].tokens_emitted = 1;  // prefill produces the first token
    if (req_[i].output_tokens <= 1) {
      finish_request(r);
    } else if (cfg_.disaggregated) {
      const InstanceModel& d = *cfg_.decode;
      const double bytes = static_cast<double>(req_[i].input_tokens) * d.memory().kv_bytes_per_token;
      push(now_ + d.kv_transfer_latency_s() + bytes / d.kv_transfer_bw_bytes_per_s(), kKvDone, r);
    } else {
      out_[i].decode_start_s = now_;
      dec_[static_cast<size_t>(inst)].joining.push_back(r);
    }
  }
  stats_.push_back(st);  // colocated: the caller merges it into the decode iteration's stat
  batch->clear();
}

bool ServingLoop::admit(DecodeInst& d, int r) {
  const size_t i = static_cast<size_t>(r);
  const double need = static_cast<double>(req_[i].input_tokens + req_[i].output_tokens);
  int best = -1;
  for (int g = 0; g < static_cast<int>(d.groups.size()); ++g) {
    const Group& gr = d.groups[static_cast<size_t>(g)];
    if (gr.active >= cfg_.max_requests_per_group || gr.kv_used + need > cfg_.kv_capacity_per_group) continue;
    if (best < 0 || gr.active < d.groups[static_cast<size_t>(best)].active) best = g;
  }
  if (best < 0) return false;
  Group& gr = d.groups[static_cast<size_t>(best)];
  gr.active += 1;
  gr.kv_used += need;  // reserved for the whole output: no preemption needed later
  gr.ctx_sum += static_cast<double>(req_[i].input_tokens);
  kv_peak_fraction_ = std::max(kv_peak_fraction_, gr.kv_used / cfg_.kv_capacity_per_group);
  group_of_[i] = best;
  inst_of_[i] = static_cast<int>(&d - dec_.data());
  return true;
}

void ServingLoop::on_kv_done(int r) {
  int best = 0;  // least-loaded decode instance
  for (int k = 1; k < static_cast<int>(dec_.size()); ++k) {
    const DecodeInst& a = dec_[static_cast<size_t>(k)];
    const DecodeInst& b = dec_[static_cast<size_t>(best)];
    if (a.active.size() + a.joining.size() + a.waiting.size() < b.active.size() + b.joining.size() + b.waiting.size()) best = k;
  }
  DecodeInst& d = dec_[static_cast<size_t>(best)];
  out_[static_cast<size_t>(r)].decode_start_s = now_;
  if (d.waiting.empty() && admit(d, r)) {
    d.joining.push_back(r);
    try_start_decode(best);
  } else {
    d.waiting.push_back(r);
  }
}

void ServingLoop::try_start_decode(int inst) {
  DecodeInst& d = dec_[static_cast<size_t>(inst)];
  if (d.busy) return;
  d.active.insert(d.active.end(), d.joining.begin(), d.joining.end());
  d.joining.clear();
  double t = 0;
  if (!cfg_.disaggregated && take_prefill_batch(&d.carry, &d.prefill_batch, &d, *cfg_.prefill) > 0)
    t += prefill_time(d.prefill_batch, *cfg_.prefill);
  if (!d.active.empty()) {
    const Group* busiest = &d.groups[0];
    for (const Group& g : d.groups)
      if (g.active > busiest->active) busiest = &g;
    t += cfg_.decode->decode_step_s(busiest->active, busiest->ctx_sum / std::max<int64_t>(1, busiest->active));
  }
  if (t <= 0) return;
  d.busy = true;
  d.start = now_;
  push(now_ + t, kDecodeDone, inst);
}

void ServingLoop::on_decode_done(int inst) {
  DecodeInst& d = dec_[static_cast<size_t>(inst)];
  IterationStat st{1, inst, d.start, now_, static_cast<int64_t>(d.active.size()), 0, 0, 0, 0};
  std::bernoulli_distribution accept(cfg_.acceptance_rate);
  std::vector<int> still;
  still.reserve(d.active.size());
  for (int r : d.active) {
    RequestOutcome& o = out_[static_cast<size_t>(r)];
    int64_t emitted = 1;
    for (int64_t k = 0; k < cfg_.draft_tokens && accept(rng_); ++k) ++emitted;
    emitted = std::min(emitted, o.output_tokens - o.tokens_emitted);
    o.tokens_emitted += emitted;
    st.output_tokens += emitted;
    d.groups[static_cast<size_t>(group_of_[static_cast<size_t>(r)])].ctx_sum += static_cast<double>(emitted);
    if (o.tokens_emitted >= o.output_tokens) finish_request(r);
    else still.push_back(r);
  }
  d.active.swap(still);
  for (const Group& g : d.groups) {
    st.kv_used += g.kv_used;
    st.kv_capacity += cfg_.kv_capacity_per_group;
  }
  if (!cfg_.disaggregated && !d.prefill_batch.empty()) {
    finish_prefill_batch(&d.prefill_batch, inst, d.start);
    st.input_tokens = stats_.back().input_tokens;
    stats_.pop_back();
  }
  stats_.push_back(st);
  while (!d.waiting.empty() && admit(d, d.waiting.front())) {
    d.joining.push_back(d.waiting.front());
    d.waiting.pop_front();
  }
  d.busy = false;
  try_start_decode(inst);
}

void ServingLoop::finish_request(int r) {
  const size_t i = static_cast<size_t>(r);
  out_[i].finish_s = now_;
  ++completed_;
  if (group_of_[i] < 0) return;
  Group& g = dec_[static_cast<size_t>(inst_of_[i])].groups[static_cast<size_t>(group_of_[i])];
  g.active -= 1;
  g.kv_used -= static_cast<double>(req_[i].input_tokens + req_[i].output_tokens);
  g.ctx_sum -= static_cast<double>(req_[i].input_tokens + out_[i].tokens_emitted - 1);
}

}  // namespace moesim::sim::serving
