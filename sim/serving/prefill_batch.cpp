#include "sim/serving/prefill_batch.hpp"

#include <algorithm>
#include <numeric>

namespace moesim::sim::serving {

double chunk_attention_pairs(const PrefillChunk& c) {
  const double n = static_cast<double>(c.tokens), end = static_cast<double>(c.context_end);
  return n * end - n * (n - 1) / 2;
}

GroupShape busiest_group(const std::vector<PrefillChunk>& chunks, int groups, int64_t group_token_cap) {
  struct Load {
    double pairs = 0;
    int64_t tokens = 0, sequences = 0;
  };
  std::vector<Load> load(static_cast<size_t>(std::max(1, groups)));
  std::vector<size_t> order(chunks.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::vector<double> pairs(chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) pairs[i] = chunk_attention_pairs(chunks[i]);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return pairs[a] > pairs[b]; });
  for (size_t i : order) {
    Load* best = nullptr;
    for (Load& g : load) {
      if (g.tokens + chunks[i].tokens <= group_token_cap && (best == nullptr || g.pairs < best->pairs)) best = &g;
    }
    if (best == nullptr) {
      best = &load[0];
      for (Load& g : load)
        if (g.tokens < best->tokens) best = &g;
    }
    best->pairs += pairs[i];
    best->tokens += chunks[i].tokens;
    ++best->sequences;
  }
  const Load* busiest = &load[0];
  int64_t most_tokens = 0;
  for (const Load& g : load) {
    if (g.pairs > busiest->pairs) busiest = &g;
    most_tokens = std::max(most_tokens, g.tokens);
  }
  GroupShape s;
  s.sequences = static_cast<double>(std::max<int64_t>(1, busiest->sequences));
  s.new_tokens = std::max(1.0, static_cast<double>(most_tokens) / s.sequences);
  // Uniform sequences of n new tokens with context c have s (n c - n (n - 1) / 2) pairs.
  s.context_tokens = std::max(s.new_tokens, busiest->pairs / (s.sequences * s.new_tokens) + (s.new_tokens - 1) / 2);
  return s;
}

void for_each_full_batch(const std::vector<RequestRecord>& sample, int groups, int64_t group_tokens,
                         const std::function<void(const std::vector<PrefillChunk>&, int)>& fn) {
  std::vector<int64_t> left(sample.size()), done(sample.size(), 0);
  for (size_t i = 0; i < sample.size(); ++i) left[i] = sample[i].input_tokens - sample[i].cached_tokens;
  const int64_t budget = group_tokens * std::max(1, groups);
  std::vector<int> carry;
  std::vector<std::pair<int, int64_t>> batch;
  std::vector<PrefillChunk> chunks;
  size_t next = 0;
  auto pop = [&] { return next < sample.size() ? static_cast<int>(next++) : -1; };
  while (fill_prefill_batch(budget, group_tokens, &carry, &left, pop, &batch) == budget) {
    chunks.clear();
    int finished = 0;
    for (const auto& [r, tokens] : batch) {
      const size_t i = static_cast<size_t>(r);
      chunks.push_back({tokens, sample[i].cached_tokens + done[i] + tokens});
      done[i] += tokens;
      finished += left[i] == 0;
    }
    fn(chunks, finished);
  }
}

GroupShape typical_busiest_group(const std::vector<RequestRecord>& sample, int groups, int64_t group_tokens) {
  double n = 0, sequences = 0, tokens = 0, pairs = 0;
  for_each_full_batch(sample, groups, group_tokens, [&](const std::vector<PrefillChunk>& chunks, int) {
    const GroupShape g = busiest_group(chunks, groups, group_tokens);
    n += 1;
    sequences += g.sequences;
    tokens += g.sequences * g.new_tokens;
    pairs += g.sequences * (g.new_tokens * g.context_tokens - g.new_tokens * (g.new_tokens - 1) / 2);
  });
  GroupShape s;
  if (n == 0) return s;
  s.sequences = std::max(1.0, sequences / n);
  s.new_tokens = std::max(1.0, tokens / n / s.sequences);
  s.context_tokens = std::max(s.new_tokens, pairs / n / (s.sequences * s.new_tokens) + (s.new_tokens - 1) / 2);
  return s;
}

double prefill_capacity_rps(const InstanceModel& pre, const std::vector<RequestRecord>& sample, int64_t budget) {
  const int groups = pre.attention_groups();
  const int64_t cap = group_token_cap(budget, groups);
  double busy_s = 0, completed = 0;
  for_each_full_batch(sample, groups, cap, [&](const std::vector<PrefillChunk>& chunks, int finished) {
    const GroupShape g = busiest_group(chunks, groups, cap);
    busy_s += pre.prefill_step_s(g.sequences, g.new_tokens, g.context_tokens);
    completed += finished;
  });
  return busy_s > 0 ? completed / busy_s : 0.0;
}

}  // namespace moesim::sim::serving
