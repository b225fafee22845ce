#include "configs/catalog.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "configs/yaml_reader.hpp"
#include "models/embedded_file.hpp"

extern const moesim::EmbeddedFile moesim_embedded_catalog[];
extern const std::size_t moesim_embedded_catalog_count;

namespace moesim::configs {

namespace {

bool looks_like_path(std::string_view s) {
  auto ends_with = [&](std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
  };
  return s.find('/') != std::string_view::npos || ends_with(".yaml") || ends_with(".yml");
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::vector<std::string> catalog_names(std::string_view section) {
  std::vector<std::string> names;
  const std::string prefix = std::string(section) + "/";
  for (std::size_t i = 0; i < moesim_embedded_catalog_count; ++i) {
    const std::string path = moesim_embedded_catalog[i].path;
    if (path.rfind(prefix, 0) != 0) continue;
    std::string name = path.substr(prefix.size());
    name = name.substr(0, name.rfind('.'));
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> read_config_text(std::string_view section, std::string_view name_or_path,
                                     std::string* display_path) {
  if (looks_like_path(name_or_path)) {
    *display_path = std::string(name_or_path);
    std::ifstream in{std::string(name_or_path), std::ios::binary};
    if (!in) return bad_input(*display_path + ": cannot open file (does it exist and is it readable?)");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  const std::string wanted = std::string(section) + "/" + std::string(name_or_path) + ".yaml";
  for (std::size_t i = 0; i < moesim_embedded_catalog_count; ++i) {
    if (wanted == moesim_embedded_catalog[i].path) {
      *display_path = "configs/" + wanted;
      return std::string(moesim_embedded_catalog[i].text);
    }
  }
  const std::vector<std::string> known = catalog_names(section);
  std::string message = "no " + std::string(section) + " entry named \"" + std::string(name_or_path) + "\"";
  const std::string near = nearest(std::string(name_or_path), known);
  if (!near.empty()) message += "; did you mean \"" + near + "\"?";
  message += " (known: " + join(known) + "; or give a path to a .yaml file)";
  return bad_input(message);
}

Result<models::ModelSpec> load_model(std::string_view name_or_path) {
  std::string path;
  Result<std::string> text = read_config_text("models", name_or_path, &path);
  if (!text.ok()) return text.errors();
  return parse_model(text.value(), path);
}

Result<models::GpuSpec> load_gpu(std::string_view name_or_path) {
  std::string path;
  Result<std::string> text = read_config_text("hardware", name_or_path, &path);
  if (!text.ok()) return text.errors();
  return parse_gpu(text.value(), path);
}

Result<models::ClusterSpec> load_cluster(std::string_view name_or_path) {
  std::string path;
  Result<std::string> text = read_config_text("clusters", name_or_path, &path);
  if (!text.ok()) return text.errors();
  Result<models::ClusterSpec> cluster = parse_cluster(text.value(), path);
  if (!cluster.ok()) return cluster;
  models::ClusterSpec spec = std::move(cluster).value();
  Result<models::GpuSpec> gpu = load_gpu(spec.gpu_name);
  if (!gpu.ok()) {
    std::vector<Error> errors;
    for (const Error& e : gpu.errors()) errors.push_back(bad_input(path + ": gpu: " + e.message));
    return errors;
  }
  spec.gpu = std::move(gpu).value();
  return spec;
}

}  // namespace moesim::configs
