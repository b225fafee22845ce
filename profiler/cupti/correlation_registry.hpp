// External-correlation ids and the tags they stand for (op, shape, layer ...). Whoever launches work
// registers its tags, pushes the id onto CUPTI's external-correlation stack around the launches,
// and the activity collector joins kernel records back to these tags by the id.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace moesim::profiler::cupti {

using TagMap = std::map<std::string, std::string>;

// Thread-safe: CUPTI delivers buffers on its own thread while the launcher registers new ids.
class CorrelationRegistry {
 public:
  // Returns a fresh id (never 0: CUPTI uses 0 for "none") standing for `tags`.
  uint64_t register_tags(TagMap tags);
  // The tags of `id`, or nothing if it was not registered here (pushed by someone else).
  std::optional<TagMap> find(uint64_t id) const;
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, TagMap> tags_by_id_;
};

}  // namespace moesim::profiler::cupti
