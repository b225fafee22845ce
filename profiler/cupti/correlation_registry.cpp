// See correlation_registry.hpp.
#include "profiler/cupti/correlation_registry.hpp"

#include <utility>

namespace moesim::profiler::cupti {

uint64_t CorrelationRegistry::register_tags(TagMap tags) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t id = next_id_++;
  tags_by_id_.emplace(id, std::move(tags));
  return id;
}

std::optional<TagMap> CorrelationRegistry::find(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = tags_by_id_.find(id);
  if (it == tags_by_id_.end()) return std::nullopt;
  return it->second;
}

size_t CorrelationRegistry::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tags_by_id_.size();
}

}  // namespace moesim::profiler::cupti
