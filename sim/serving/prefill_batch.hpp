// Chunked-prefill batches as the attention data-parallel groups of an instance see them. A chunk is
// one request's new tokens in one iteration; its attention covers every earlier token of the
// request (cached prefix, earlier chunks) and, causally, its own. The request's KV cache lives on
// one group, so a chunk never spans groups and is at most one group's share of the token budget.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "sim/serving/instance_model.hpp"
#include "sim/serving/request_trace.hpp"

namespace moesim::sim::serving {

struct PrefillChunk {
  int64_t tokens = 0;       // new tokens this iteration
  int64_t context_end = 0;  // cached prefix + earlier chunks + these tokens
};

// Query-key pairs of a chunk's causal attention.
double chunk_attention_pairs(const PrefillChunk& c);

// Most new tokens one chunk (and one group) takes from an instance's `budget`: its even share.
inline int64_t group_token_cap(int64_t budget, int groups) { return std::max<int64_t>(1, budget / std::max(1, groups)); }

// The busiest group of a batch as a uniform shape for InstanceModel::prefill_step_s: that group's
// sequences, the most new tokens any group got, and a context giving that group's attention pairs.
// Chunks are placed largest attention first on the group with the least attention that still has
// token room (`group_token_cap`), else on the group with the fewest tokens: DeepSeek's prefill load
// balancer evens out core attention and tokens per GPU alike. Every MoE layer waits for all groups,
// so that group sets the pace. Deterministic (ties go to the lower group and the earlier chunk).
struct GroupShape {
  double sequences = 1, new_tokens = 1, context_tokens = 1;
};
GroupShape busiest_group(const std::vector<PrefillChunk>& chunks, int groups, int64_t group_token_cap);

// Fills one batch of at most `budget` new tokens: the carried (unfinished) requests first, then new
// ones from `next()` (-1 when there is none) while the budget lasts; each chunk is at most
// `chunk_cap` tokens of what `left[r]` still has to prefill. Takes the chunks from `left`, appends
// (request, tokens) to `batch` and leaves in `carry` the requests still unfinished, oldest first.
template <typename Next>
int64_t fill_prefill_batch(int64_t budget, int64_t chunk_cap, std::vector<int>* carry, std::vector<int64_t>* left,
                           Next next, std::vector<std::pair<int, int64_t>>* batch) {
  batch->clear();
  std::vector<int> still, fresh;  // unfinished: carried ones, then ones started now
  size_t carried = 0;
  int64_t taken = 0;
  while (taken < budget) {
    const bool from_carry = carried < carry->size();
    const int r = from_carry ? (*carry)[carried++] : next();
    if (r < 0) break;
    int64_t& rest = (*left)[static_cast<size_t>(r)];
    const int64_t chunk = std::min({rest, budget - taken, chunk_cap});
    rest -= chunk;
    taken += chunk;
    batch->emplace_back(r, chunk);
    if (rest > 0) (from_carry ? still : fresh).push_back(r);
  }
  // Carried requests the budget did not reach stay ahead of the ones started now.
  still.insert(still.end(), carry->begin() + static_cast<std::ptrdiff_t>(carried), carry->end());
  still.insert(still.end(), fresh.begin(), fresh.end());
  *carry = std::move(still);
  return taken;
}

// Packs `sample` in arrival order into full batches for `groups` groups of `group_tokens` each,
// exactly as the serving loop packs them (chunks capped at `group_tokens`), and calls
// fn(chunks, requests finished by this batch) for every full batch; a partial last batch is left out.
void for_each_full_batch(const std::vector<RequestRecord>& sample, int groups, int64_t group_tokens,
                         const std::function<void(const std::vector<PrefillChunk>&, int)>& fn);

// The busiest group's shape averaged over the full batches of `sample` (attention pairs and tokens
// averaged, which is what time is linear in): what an analytical model can use in place of a
// mean-request shape.
GroupShape typical_busiest_group(const std::vector<RequestRecord>& sample, int groups, int64_t group_tokens);

// Requests per second one prefill instance sustains: its full batches of `sample`, each timed by
// its busiest group.
double prefill_capacity_rps(const InstanceModel& pre, const std::vector<RequestRecord>& sample, int64_t budget);

}  // namespace moesim::sim::serving
