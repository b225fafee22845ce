// Loading validated specs by catalog name (YAML files embedded in the moesim binary at build time)
// or by path to a user's YAML file. Every problem in a file is reported, each as one line naming
// the file, line, key path, the value found and what was expected.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "models/hardware_spec.hpp"
#include "models/model_spec.hpp"
#include "models/result.hpp"

namespace moesim::configs {

// The catalog sections, each a folder under configs/: "models", "hardware", "clusters", "scenarios".
std::vector<std::string> catalog_names(std::string_view section);

// The YAML text of a catalog entry or a file. `name_or_path` is a catalog name ("h800") or a path
// ("my/gpu.yaml", anything with a '/' or ending in .yaml/.yml). `display_path` receives what error
// messages should call it ("configs/hardware/h800.yaml" or the user's path).
Result<std::string> read_config_text(std::string_view section, std::string_view name_or_path,
                                     std::string* display_path);

Result<models::ModelSpec> load_model(std::string_view name_or_path);
Result<models::GpuSpec> load_gpu(std::string_view name_or_path);
// Also resolves and loads the cluster's GPU.
Result<models::ClusterSpec> load_cluster(std::string_view name_or_path);

// Parsers over YAML text (what the loaders above use; exposed for tests and scenario files).
Result<models::ModelSpec> parse_model(const std::string& yaml_text, const std::string& display_path);
Result<models::GpuSpec> parse_gpu(const std::string& yaml_text, const std::string& display_path);
Result<models::ClusterSpec> parse_cluster(const std::string& yaml_text, const std::string& display_path);

// Cross-field checks of a model that parsed (experts divisible by groups, top-k <= experts, ...).
std::vector<Error> validate(const models::ModelSpec& model, const std::string& display_path);
// The same, with `line_of_key(key_path)` giving the line to cite for a key (0 = unknown).
std::vector<Error> validate(const models::ModelSpec& model, const std::string& display_path,
                            const std::function<int(const std::string&)>& line_of_key);

}  // namespace moesim::configs
