// JSON echoes of resolved specs, so every output records exactly what it was computed from.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "models/hardware_spec.hpp"
#include "models/model_spec.hpp"

namespace moesim::cli {

inline constexpr int kSchemaVersion = 1;

nlohmann::json to_json(const models::ModelSpec& model);
nlohmann::json to_json(const models::GpuSpec& gpu);
nlohmann::json to_json(const models::ClusterSpec& cluster);

// Stable 64-bit FNV-1a hash of the canonical (sorted-key, compact) JSON text, as 16 hex digits.
std::string config_hash(const nlohmann::json& resolved_config);

}  // namespace moesim::cli
