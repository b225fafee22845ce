// YAML → models::GpuSpec and models::ClusterSpec, with their cross-field checks.
#include <string>

#include "configs/catalog.hpp"
#include "configs/yaml_reader.hpp"

namespace moesim::configs {

namespace {

void read_peaks(MapReader& r, models::GpuSpec* g) {
  for (const auto& [name, node] : r.entries("peak_tensor", true)) {
    const std::string path = r.key_path("peak_tensor." + name);
    const std::optional<models::DType> dtype = models::parse_dtype(name);
    if (!dtype) {
      r.diagnostics()->error(node, path, "unknown number format; expected one of: fp32, bf16, fp16, fp8, int4, fp4");
      continue;
    }
    double flops = 0;
    std::string expected;
    if (!node.IsScalar() || !parse_quantity(node.Scalar(), Unit::kFlopsPerSecond, &flops, &expected) || flops <= 0) {
      r.diagnostics()->error(node, path, "found \"" + (node.IsScalar() ? node.Scalar() : std::string("?")) +
                                             "\", expected a positive " + expected);
      continue;
    }
    g->peak_flops[*dtype] = flops;
  }
}

}  // namespace

Result<models::GpuSpec> parse_gpu(const std::string& yaml_text, const std::string& display_path) {
  Diagnostics diag{display_path, {}};
  YAML::Node root = parse_yaml(yaml_text, &diag);
  if (!diag.errors.empty()) return diag.errors;
  models::GpuSpec g;
  MapReader r(root, "", &diag);
  r.required_string("name", &g.name);
  r.optional_string("display_name", &g.display_name);
  r.required_string("source", &g.source);
  r.required_string("family", &g.family);
  int64_t sms = 0;
  r.optional_int("sm_count", &sms, 0);
  g.sm_count = static_cast<int>(sms);
  read_peaks(r, &g);
  r.required_quantity("hbm", Unit::kBytes, &g.hbm_bytes);
  r.optional_quantity("usable_hbm", Unit::kBytes, &g.usable_hbm_bytes);
  r.required_quantity("hbm_bandwidth", Unit::kBytesPerSecond, &g.hbm_bw_bytes_per_s);
  r.required_quantity("scale_up_bandwidth", Unit::kBytesPerSecond, &g.scale_up_bw_bytes_per_s);
  r.required_quantity("nic_bandwidth", Unit::kBytesPerSecond, &g.nic_bw_bytes_per_s);
  r.required_quantity("tdp", Unit::kWatts, &g.tdp_w);
  r.required_number("price_usd_per_gpu_hour", &g.price_usd_per_gpu_hour);
  MapReader measured = r.child("measured", false);
  measured.optional_quantity("bf16_gemm", Unit::kFlopsPerSecond, &g.measured_bf16_flops);
  measured.optional_quantity("hbm_bandwidth", Unit::kBytesPerSecond, &g.measured_hbm_bw_bytes_per_s);
  measured.finish();
  r.finish();
  if (g.display_name.empty()) g.display_name = g.name;
  if (g.usable_hbm_bytes == 0) g.usable_hbm_bytes = g.hbm_bytes;
  if (diag.errors.empty() && g.usable_hbm_bytes > g.hbm_bytes) {
    diag.error(r.node_of("usable_hbm"), "usable_hbm",
               std::to_string(g.usable_hbm_bytes) + " B exceeds hbm=" + std::to_string(g.hbm_bytes) +
                   " B; expected usable memory <= physical memory");
  }
  if (diag.errors.empty() && g.peak_flops.count(models::DType::kBf16) == 0) {
    diag.error(r.node_of("peak_tensor"), "peak_tensor", "has no bf16 entry; every GPU needs its bf16 peak");
  }
  if (!diag.errors.empty()) return diag.errors;
  return g;
}

Result<models::ClusterSpec> parse_cluster(const std::string& yaml_text, const std::string& display_path) {
  Diagnostics diag{display_path, {}};
  YAML::Node root = parse_yaml(yaml_text, &diag);
  if (!diag.errors.empty()) return diag.errors;
  models::ClusterSpec c;
  MapReader r(root, "", &diag);
  r.required_string("name", &c.name);
  r.optional_string("description", &c.description);
  r.required_string("source", &c.source);
  r.required_string("gpu", &c.gpu_name);
  int64_t nodes = 1, per_node = 8;
  r.required_int("nodes", &nodes);
  r.required_int("gpus_per_node", &per_node);
  c.nodes = static_cast<int>(nodes);
  c.gpus_per_node = static_cast<int>(per_node);

  MapReader up = r.child("scale_up", false);
  int64_t domain = c.gpus_per_node;
  up.optional_int("domain_gpus", &domain, 1);
  c.scale_up.domain_gpus = static_cast<int>(domain);
  up.optional_quantity("bandwidth", Unit::kBytesPerSecond, &c.scale_up.bw_bytes_per_s);
  up.optional_quantity("latency", Unit::kSeconds, &c.scale_up.latency_s);
  up.finish();

  MapReader out = r.child("scale_out", false);
  out.optional_quantity("nic_bandwidth", Unit::kBytesPerSecond, &c.scale_out.nic_bw_bytes_per_s);
  out.optional_number("efficiency", &c.scale_out.efficiency, 0, false);
  out.optional_quantity("latency_same_leaf", Unit::kSeconds, &c.scale_out.latency_same_leaf_s);
  out.optional_quantity("latency_cross_leaf", Unit::kSeconds, &c.scale_out.latency_cross_leaf_s);
  int64_t planes = 1, ports = 64;
  out.optional_int("planes", &planes, 1);
  out.optional_int("leaf_switch_ports", &ports, 2);
  c.scale_out.planes = static_cast<int>(planes);
  c.scale_out.leaf_switch_ports = static_cast<int>(ports);
  out.optional_number("oversubscription", &c.scale_out.oversubscription, 1.0, true);
  out.finish();
  r.finish();
  if (!diag.errors.empty()) return diag.errors;

  auto fail = [&](MapReader& at, const std::string& key, const std::string& message) { at.error(key, message); };
  if (c.scale_out.efficiency > 1.0) {
    fail(out, "efficiency", "found " + std::to_string(c.scale_out.efficiency) + ", expected a fraction in (0, 1]");
  }
  if (c.scale_out.planes > c.gpus_per_node) {
    fail(out, "planes", std::to_string(c.scale_out.planes) + " exceeds gpus_per_node=" +
                            std::to_string(c.gpus_per_node) + "; expected at most one plane per GPU of a node");
  }
  const int domain_gpus = c.scale_up.domain_gpus;
  const bool domain_ok = domain_gpus <= c.gpus_per_node
                             ? c.gpus_per_node % domain_gpus == 0
                             : domain_gpus % c.gpus_per_node == 0 && (c.nodes * c.gpus_per_node) % domain_gpus == 0;
  if (!domain_ok) {
    fail(up, "domain_gpus", std::to_string(domain_gpus) + " does not tile " + std::to_string(c.nodes) + " nodes of " +
                                std::to_string(c.gpus_per_node) +
                                " GPUs; expected a divisor of gpus_per_node or a multiple of it that divides the GPU count");
  }
  if (!diag.errors.empty()) return diag.errors;
  return c;
}

}  // namespace moesim::configs
