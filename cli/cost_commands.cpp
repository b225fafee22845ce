// `moesim cost OP ...`: the cost model on one op — time, where it came from (measured, interpolated,
// scaled from another GPU, roofline) and an error estimate. Collectives are costed analytically
// from the cluster spec.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/spec_json.hpp"
#include "configs/catalog.hpp"
#include "profiler/calibrated_cost_model.hpp"
#include "profiler/calibration_loader.hpp"
#include "profiler/collective_cost.hpp"
#include "profiler/op_factory.hpp"
#include "traces/calibration_table.hpp"

namespace moesim::cli {

namespace {

struct CostRequest {
  std::string op;             // op kind name
  profiler::ShapeParams shape;
  bool causal = false;
  std::string dtype = "bf16";
  std::string gpu = "h800";
  std::vector<std::string> calibration;  // files; empty = the embedded ones
  bool json = false;
};

Result<models::DType> parse_cost_dtype(const std::string& name) {
  auto d = models::parse_dtype(name);
  if (!d || (*d != models::DType::kBf16 && *d != models::DType::kFp16 && *d != models::DType::kFp8 &&
             *d != models::DType::kFp4)) {
    return bad_input("--dtype: found \"" + name + "\", expected bf16, fp16, fp8 or fp4");
  }
  return *d;
}

nlohmann::json shape_json(const profiler::ShapeParams& shape) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : shape) j[k] = v;
  return j;
}

int print_prediction(const CostRequest& req, const models::Op& op, const models::GpuSpec& gpu,
                     const profiler::CostPrediction& p, size_t tables) {
  const bool native = models::supports(gpu, op.dtype);
  const double time_us = p.estimate.time_s * 1e6;
  if (req.json) {
    print_json({{"schema_version", kSchemaVersion},
                {"op", {{"kind", models::op_kind_name(op.kind)}, {"dtype", std::string(models::to_string(op.dtype))},
                        {"shape", shape_json(profiler::shape_params_of(op))}, {"flops", op.flops},
                        {"bytes", op.bytes_read + op.bytes_written}}},
                {"gpu", gpu.name},
                {"native_dtype", native},
                {"time_us", time_us},
                {"source", p.estimate.source},
                {"error_estimate", p.estimate.error_estimate},
                {"calibrated", p.estimate.calibrated},
                {"kernel_us", p.kernel_s * 1e6},
                {"launch_overhead_us", p.launch_overhead_s * 1e6},
                {"roofline_us", p.tau_s * 1e6},
                {"ceiling_us", p.floor_s * 1e6},
                {"calibration_gpu", p.calibration_gpu},
                {"calibration_points", p.points},
                {"extrapolation_log2", p.extrapolation_log2},
                {"calibration_tables", tables}});
    return 0;
  }
  std::printf("%s %s on %s: %.2f us +- %.0f%% (%s%s)\n", models::op_kind_name(op.kind).c_str(),
              std::string(models::to_string(op.dtype)).c_str(), gpu.name.c_str(), time_us,
              p.estimate.error_estimate * 100, p.estimate.source.c_str(),
              p.estimate.calibrated ? ", calibrated" : ", uncalibrated");
  std::printf("  kernel %.2f us + launch %.2f us; datasheet roofline %.2f us, measured ceiling %.2f us\n",
              p.kernel_s * 1e6, p.launch_overhead_s * 1e6, p.tau_s * 1e6, p.floor_s * 1e6);
  std::printf("  %.3f GFLOP, %.3f MB moved", op.flops / 1e9, (op.bytes_read + op.bytes_written) / 1e6);
  if (p.points > 0) std::printf("; %d calibration points on %s", p.points, p.calibration_gpu.c_str());
  std::printf("\n");
  if (!native) {
    std::printf("  note: %s has no native %s tensor cores; costed at the next wider format it supports\n",
                gpu.name.c_str(), std::string(models::to_string(op.dtype)).c_str());
  }
  if (!p.estimate.calibrated) {
    std::printf("  uncalibrated: default efficiency model (see traces/calibration/README.md)\n");
  }
  return 0;
}

int run_op_cost(const CostRequest& req) {
  Result<models::DType> dtype = parse_cost_dtype(req.dtype);
  if (!dtype.ok()) return report_errors(dtype.errors());
  Result<models::GpuSpec> gpu = configs::load_gpu(req.gpu);
  if (!gpu.ok()) return report_errors(gpu.errors());
  models::OpKind kind;
  if (!traces::parse_op_kind(req.op, &kind)) return report_errors({bad_input("unknown op " + req.op)});
  profiler::ShapeParams shape = req.shape;
  if (kind == models::OpKind::kAttention) shape["causal"] = req.causal ? 1 : 0;
  Result<models::Op> op = profiler::make_op(kind, dtype.value(), shape, "cost " + req.op);
  if (!op.ok()) return report_errors(op.errors());
  auto sources = profiler::load_calibration_sources(req.calibration, configs::load_gpu);
  if (!sources.ok()) return report_errors(sources.errors());
  auto model = profiler::CalibratedCostModel::make(sources.value());
  if (!model.ok()) return report_errors(model.errors());
  const profiler::CostPrediction p = model.value().predict(op.value(), gpu.value());
  return print_prediction(req, op.value(), gpu.value(), p, sources.value().size());
}

// "64MB", "1.5 GiB", "4096" → bytes.
Result<double> parse_bytes(const std::string& flag, const std::string& text) {
  size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(text, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  std::string unit = text.substr(pos);
  unit.erase(0, unit.find_first_not_of(' '));
  const std::vector<std::pair<std::string, double>> units = {
      {"", 1}, {"B", 1}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0},
      {"GiB", 1073741824.0}};
  for (const auto& [name, scale] : units) {
    if (pos > 0 && unit == name && std::isfinite(value) && value > 0) return value * scale;
  }
  return bad_input(flag + ": found \"" + text + "\", expected a positive byte count such as 4096, 64MB or 1.5GiB");
}

struct CollectiveRequest {
  std::string collective;
  std::string bytes;
  int ranks = 8;
  std::string cluster = "hgx-h800";
  bool json = false;
};

int run_collective(const CollectiveRequest& req) {
  const bool a2a = req.collective == "alltoall";
  Result<double> bytes = parse_bytes(a2a ? "--bytes-per-gpu" : "--bytes", req.bytes);
  if (!bytes.ok()) return report_errors(bytes.errors());
  Result<models::ClusterSpec> cluster = configs::load_cluster(req.cluster);
  if (!cluster.ok()) return report_errors(cluster.errors());
  auto p = a2a ? profiler::alltoall_time(bytes.value(), req.ranks, cluster.value())
               : profiler::allreduce_time(bytes.value(), req.ranks, cluster.value());
  if (!p.ok()) {
    std::vector<Error> errors = p.errors();
    for (Error& e : errors) e.message = "cost " + req.collective + ": " + e.message;
    return report_errors(errors);
  }
  const profiler::CollectivePrediction& c = p.value();
  if (req.json) {
    print_json({{"schema_version", kSchemaVersion}, {"collective", req.collective}, {"cluster", req.cluster},
                {a2a ? "bytes_per_gpu" : "bytes", bytes.value()}, {a2a ? "ep" : "gpus", req.ranks},
                {"time_us", c.estimate.time_s * 1e6}, {"source", c.estimate.source},
                {"error_estimate", c.estimate.error_estimate}, {"calibrated", c.estimate.calibrated},
                {"ranks_per_domain", c.ranks_per_domain}, {"scale_up_bytes", c.scale_up_bytes},
                {"scale_out_bytes", c.scale_out_bytes}, {"scale_up_us", c.scale_up_s * 1e6},
                {"scale_out_us", c.scale_out_s * 1e6}, {"latency_us", c.latency_s * 1e6}});
    return 0;
  }
  std::printf("%s of %s over %d GPUs on %s: %.2f us +- %.0f%% (%s, uncalibrated)\n", req.collective.c_str(),
              format_bytes(bytes.value()).c_str(), req.ranks, req.cluster.c_str(), c.estimate.time_s * 1e6,
              c.estimate.error_estimate * 100, c.estimate.source.c_str());
  std::printf("  per GPU: %s over NVLink (%.2f us), %s over the NIC (%.2f us), latency %.2f us; %d GPUs per NVLink domain\n",
              format_bytes(c.scale_up_bytes).c_str(), c.scale_up_s * 1e6, format_bytes(c.scale_out_bytes).c_str(),
              c.scale_out_s * 1e6, c.latency_s * 1e6, c.ranks_per_domain);
  return 0;
}

// Adds the options every op sub-command shares and registers its runner.
void add_op(CLI::App* cost, CommandRunner& runner, const std::string& name, const std::string& help,
            const std::vector<std::pair<std::string, std::string>>& dims) {
  auto req = std::make_shared<CostRequest>();
  req->op = name;
  CLI::App* sub = cost->add_subcommand(name, help);
  for (const auto& [flag, key] : dims) {
    sub->add_option_function<int64_t>("--" + flag, [req, key = key](const int64_t& v) { req->shape[key] = v; },
                                      "shape: " + key)->required();
  }
  if (name == "attention") {
    sub->add_option_function<int64_t>("--batch", [req](const int64_t& v) { req->shape["batch"] = v; },
                                      "Sequences (default 1)");
    sub->add_flag("--causal", req->causal, "Causal mask (default: full)");
  }
  sub->add_option("--dtype", req->dtype, "bf16, fp16, fp8 or fp4 (default bf16)");
  sub->add_option("--gpu", req->gpu, "Catalog GPU name or GPU YAML (default h800)");
  sub->add_option("--calibration", req->calibration, "Calibration JSON file(s) (default: traces/calibration, embedded)");
  sub->add_flag("--json", req->json, "Print one JSON document");
  runner.on(sub, [req] { return run_op_cost(*req); });
}

void add_collective(CLI::App* cost, CommandRunner& runner, const std::string& name, const std::string& help) {
  auto req = std::make_shared<CollectiveRequest>();
  req->collective = name;
  CLI::App* sub = cost->add_subcommand(name, help);
  const bool a2a = name == "alltoall";
  sub->add_option(a2a ? "--bytes-per-gpu" : "--bytes", req->bytes,
                  a2a ? "Bytes each GPU sends, spread over all ranks (4096, 64MB, 1.5GiB)" : "Bytes reduced on each GPU")
      ->required();
  sub->add_option(a2a ? "--ep" : "--gpus", req->ranks, a2a ? "Expert-parallel ranks" : "GPUs in the all-reduce")->required();
  sub->add_option("--cluster", req->cluster, "Catalog cluster name or cluster YAML (default hgx-h800)");
  sub->add_flag("--json", req->json, "Print one JSON document");
  runner.on(sub, [req] { return run_collective(*req); });
}

}  // namespace

void add_cost_commands(CLI::App& app, CommandRunner& runner) {
  CLI::App* cost = app.add_subcommand("cost", "Predicted time of one op or collective, with its source and error");
  cost->require_subcommand(1);
  add_op(cost, runner, "gemm", "Dense GEMM [m x k] x [k x n]", {{"m", "m"}, {"n", "n"}, {"k", "k"}});
  add_op(cost, runner, "grouped_gemm", "Grouped (MoE) GEMM: groups x [m x k] x [k x n]",
         {{"groups", "groups"}, {"m", "m"}, {"n", "n"}, {"k", "k"}});
  add_op(cost, runner, "attention", "Attention core, training/prefill form (q = kv = tokens)",
         {{"tokens", "tokens"}, {"heads", "heads"}, {"qk-dim", "qk_dim"}, {"v-dim", "v_dim"}});
  add_op(cost, runner, "mla_decode", "MLA decode core, absorbed form (latent 512 + rope 64)",
         {{"batch", "batch"}, {"heads", "heads"}, {"context", "context"}});
  add_collective(cost, runner, "alltoall", "EP all-to-all (dispatch or combine) from the cluster's links");
  add_collective(cost, runner, "allreduce", "All-reduce (ring / hierarchical) from the cluster's links");
}

}  // namespace moesim::cli
