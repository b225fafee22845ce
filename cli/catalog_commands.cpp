// `moesim models`, `moesim model show NAME`, `moesim hardware`: what the catalog knows, computed
// from each config (parameter counts, memory, FLOPs), never copied from a published total.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "cli/spec_json.hpp"
#include "configs/catalog.hpp"
#include "models/memory.hpp"
#include "models/op_graph.hpp"
#include "models/param_count.hpp"

namespace moesim::cli {

namespace {

std::string with_commas(double value) {
  std::string digits = std::to_string(static_cast<long long>(value + 0.5));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return digits;
}

nlohmann::json model_facts(const models::ModelSpec& m) {
  const models::ParamCount c = models::count_params(m);
  nlohmann::json weights = nlohmann::json::object();
  for (models::DType d : {models::DType::kBf16, models::DType::kFp8, models::DType::kInt4, models::DType::kFp4}) {
    weights[std::string(models::to_string(d))] = models::weight_bytes(m, d);
  }
  return {{"total_params", c.total},
          {"active_params", c.active},
          {"total_params_without_embeddings", c.total_without_embeddings()},
          {"active_params_without_embeddings", c.active_without_embeddings()},
          {"embedding_params", c.embedding},
          {"head_params", c.head},
          {"attention_params_per_layer", c.attention_per_layer},
          {"params_per_expert", c.params_per_expert},
          {"mtp_total_params", c.mtp_total},
          {"mtp_active_params", c.mtp_active},
          {"kv_cache_bytes_per_token",
           {{"bf16", models::kv_cache_bytes_per_token(m, models::DType::kBf16)},
            {"fp8", models::kv_cache_bytes_per_token(m, models::DType::kFp8)}}},
          {"training_flops_per_token", models::training_flops_per_token(m, 4096)},
          {"training_flops_sequence_tokens", 4096},
          {"inference_flops_per_token_matmul", 2.0 * static_cast<double>(c.active - c.embedding)},
          {"weight_bytes", weights}};
}

std::string experts_text(const models::ModelSpec& m) {
  if (!m.is_moe) return "dense";
  return std::to_string(m.moe.num_routed_experts) + "+" + std::to_string(m.moe.num_shared_experts) + " top-" +
         std::to_string(m.moe.experts_per_token);
}

int run_models(bool json) {
  nlohmann::json rows = nlohmann::json::array();
  std::vector<models::ModelSpec> specs;
  for (const std::string& name : configs::catalog_names("models")) {
    Result<models::ModelSpec> m = configs::load_model(name);
    if (!m.ok()) return report_errors(m.errors());
    specs.push_back(m.value());
  }
  if (json) {
    for (const auto& m : specs) {
      nlohmann::json row = model_facts(m);
      row["name"] = m.name;
      row["display_name"] = m.display_name;
      row["what_if"] = m.what_if;
      rows.push_back(row);
    }
    print_json({{"schema_version", kSchemaVersion}, {"models", rows}});
    return 0;
  }
  std::printf("%-18s %-44s %9s %9s %7s %-9s %-14s %14s\n", "NAME", "MODEL", "TOTAL", "ACTIVE", "LAYERS", "ATTN",
              "EXPERTS", "KV/TOKEN BF16");
  for (const auto& m : specs) {
    const models::ParamCount c = models::count_params(m);
    std::printf("%-18s %-44s %9s %9s %7lld %-9s %-14s %12s B\n", m.name.c_str(), m.display_name.c_str(),
                format_count(static_cast<double>(c.total)).c_str(), format_count(static_cast<double>(c.active)).c_str(),
                static_cast<long long>(m.num_layers),
                m.attention.kind == models::AttentionKind::kMla ? "MLA" : "GQA", experts_text(m).c_str(),
                with_commas(models::kv_cache_bytes_per_token(m, models::DType::kBf16)).c_str());
  }
  std::printf("\n`moesim model show NAME` for details; what-if models are hypothetical, not published.\n");
  return 0;
}

struct OpsRequest {
  std::string phase;  // "" = none
  int64_t layer = -1;
  int64_t sequences = 1;
  int64_t tokens = 4096;
  int64_t context = 0;
};

Result<models::Phase> parse_phase(const std::string& name) {
  for (models::Phase p : {models::Phase::kTrainForward, models::Phase::kTrainBackwardInput,
                          models::Phase::kTrainBackwardWeight, models::Phase::kPrefill, models::Phase::kDecode}) {
    if (name == models::phase_name(p)) return p;
  }
  return bad_input("--ops: found \"" + name +
                   "\", expected one of: forward, backward_input, backward_weight, prefill, decode");
}

nlohmann::json ops_json(const std::vector<models::Op>& ops) {
  nlohmann::json out = nlohmann::json::array();
  for (const models::Op& op : ops) {
    out.push_back({{"name", op.name},
                   {"kind", models::op_kind_name(op.kind)},
                   {"dtype", std::string(models::to_string(op.dtype))},
                   {"m", op.shape.m}, {"n", op.shape.n}, {"k", op.shape.k}, {"groups", op.shape.groups},
                   {"flops", op.flops},
                   {"bytes_read", op.bytes_read},
                   {"bytes_written", op.bytes_written}});
  }
  return out;
}

Result<nlohmann::json> layer_ops(const models::ModelSpec& m, const OpsRequest& req) {
  Result<models::Phase> phase = parse_phase(req.phase);
  if (!phase.ok()) return phase.errors();
  const int64_t layer = req.layer >= 0 ? req.layer : m.num_layers - 1;
  if (layer >= m.num_layers) {
    return bad_input("--layer: found " + std::to_string(layer) + ", expected 0.." + std::to_string(m.num_layers - 1));
  }
  models::BatchShape batch;
  batch.sequences = req.sequences;
  batch.new_tokens = phase.value() == models::Phase::kDecode ? 1 : req.tokens;
  batch.context_tokens = req.context > 0 ? req.context : req.tokens;
  if (batch.context_tokens < batch.new_tokens) {
    return bad_input("--context: found " + std::to_string(batch.context_tokens) + ", expected >= --tokens " +
                     std::to_string(batch.new_tokens));
  }
  const models::LayerOps ops = models::build_layer_ops(m, layer, phase.value(), batch, models::PrecisionSpec{});
  return nlohmann::json{{"phase", req.phase}, {"layer", layer},
                        {"layer_kind", ops.kind == models::LayerKind::kMoe ? "moe" : "dense"},
                        {"sequences", batch.sequences}, {"new_tokens", batch.new_tokens},
                        {"context_tokens", batch.context_tokens},
                        {"attention", ops_json(ops.attention)}, {"ffn", ops_json(ops.ffn)}};
}

void print_ops_table(const nlohmann::json& ops) {
  std::printf("\nLayer %lld (%s), %s, %lld x %lld new tokens over %lld context, bf16:\n",
              ops["layer"].get<long long>(), ops["layer_kind"].get<std::string>().c_str(),
              ops["phase"].get<std::string>().c_str(), ops["sequences"].get<long long>(),
              ops["new_tokens"].get<long long>(), ops["context_tokens"].get<long long>());
  std::printf("  %-26s %-13s %12s %12s %12s\n", "OP", "KIND", "GFLOP", "MB READ", "MB WRITTEN");
  for (const char* part : {"attention", "ffn"}) {
    for (const auto& op : ops[part]) {
      std::printf("  %-26s %-13s %12.3f %12.3f %12.3f\n", op["name"].get<std::string>().c_str(),
                  op["kind"].get<std::string>().c_str(), op["flops"].get<double>() / 1e9,
                  op["bytes_read"].get<double>() / 1e6, op["bytes_written"].get<double>() / 1e6);
    }
  }
}

void print_model(const models::ModelSpec& m, const nlohmann::json& f) {
  auto count = [&](const char* key) { return format_count(f[key].get<double>()); };
  std::printf("%s (%s)%s\n", m.display_name.c_str(), m.name.c_str(),
              m.what_if ? "  [WHAT-IF: hypothetical, not a published model]" : "");
  std::printf("source: %s\n\n", m.source.c_str());
  std::printf("parameters       total %s (%s without embedding and head), active %s (%s)\n", count("total_params").c_str(),
              count("total_params_without_embeddings").c_str(), count("active_params").c_str(),
              count("active_params_without_embeddings").c_str());
  if (m.mtp_modules > 0) {
    std::printf("MTP modules      %lld: %s unique parameters, %s active\n", static_cast<long long>(m.mtp_modules),
                count("mtp_total_params").c_str(), count("mtp_active_params").c_str());
  }
  std::printf("architecture     %lld layers, hidden %lld, %s attention with %lld heads, %s\n",
              static_cast<long long>(m.num_layers), static_cast<long long>(m.hidden_size),
              m.attention.kind == models::AttentionKind::kMla ? "MLA" : "GQA",
              static_cast<long long>(m.attention.num_heads), experts_text(m).c_str());
  std::printf("KV cache/token   %s B (bf16), %s B (fp8)\n",
              with_commas(f["kv_cache_bytes_per_token"]["bf16"].get<double>()).c_str(),
              with_commas(f["kv_cache_bytes_per_token"]["fp8"].get<double>()).c_str());
  std::printf("training FLOPs   %.1f GFLOP per token at 4,096-token sequences (6 x active + causal attention)\n",
              f["training_flops_per_token"].get<double>() / 1e9);
  std::printf("weights          bf16 %s, fp8 %s, int4 %s, fp4 %s\n",
              format_bytes(f["weight_bytes"]["bf16"].get<double>()).c_str(),
              format_bytes(f["weight_bytes"]["fp8"].get<double>()).c_str(),
              format_bytes(f["weight_bytes"]["int4"].get<double>()).c_str(),
              format_bytes(f["weight_bytes"]["fp4"].get<double>()).c_str());
}

int run_model_show(const std::string& name, const OpsRequest& req, bool json) {
  Result<models::ModelSpec> loaded = configs::load_model(name);
  if (!loaded.ok()) return report_errors(loaded.errors());
  const models::ModelSpec& m = loaded.value();
  nlohmann::json facts = model_facts(m);
  nlohmann::json ops;
  if (!req.phase.empty()) {
    Result<nlohmann::json> built = layer_ops(m, req);
    if (!built.ok()) return report_errors(built.errors());
    ops = built.value();
  }
  if (json) {
    nlohmann::json doc = facts;
    const nlohmann::json resolved = to_json(m);
    doc["schema_version"] = kSchemaVersion;
    doc["model"] = resolved;
    doc["config_hash"] = config_hash(resolved);
    if (!ops.is_null()) doc["layer_ops"] = ops;
    print_json(doc);
    return 0;
  }
  print_model(m, facts);
  if (!ops.is_null()) print_ops_table(ops);
  return 0;
}

int run_hardware(bool json) {
  std::vector<models::GpuSpec> gpus;
  for (const std::string& name : configs::catalog_names("hardware")) {
    Result<models::GpuSpec> g = configs::load_gpu(name);
    if (!g.ok()) return report_errors(g.errors());
    gpus.push_back(g.value());
  }
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& g : gpus) rows.push_back(to_json(g));
    nlohmann::json clusters = nlohmann::json::array();
    for (const std::string& name : configs::catalog_names("clusters")) clusters.push_back(name);
    print_json({{"schema_version", kSchemaVersion}, {"gpus", rows}, {"clusters", clusters}});
    return 0;
  }
  std::printf("%-7s %-28s %7s %7s %7s %9s %8s %10s %8s %6s %7s\n", "NAME", "GPU", "BF16", "FP8", "FP4", "HBM",
              "HBM BW", "SCALE-UP", "NIC", "TDP", "$/GPU-h");
  std::printf("%-7s %-28s %7s %7s %7s %9s %8s %10s %8s %6s %7s\n", "", "", "TFLOPS", "TFLOPS", "TFLOPS", "GB",
              "TB/s", "GB/s bidir", "Gb/s", "W", "");
  auto peak = [](const models::GpuSpec& g, models::DType d) {
    auto it = g.peak_flops.find(d);
    return it == g.peak_flops.end() ? std::string("-") : format_fixed(it->second / 1e12, 0);
  };
  for (const auto& g : gpus) {
    std::printf("%-7s %-28s %7s %7s %7s %9.1f %8.2f %10.0f %8.0f %6.0f %7.2f\n", g.name.c_str(),
                g.display_name.c_str(), peak(g, models::DType::kBf16).c_str(), peak(g, models::DType::kFp8).c_str(),
                peak(g, models::DType::kFp4).c_str(), g.hbm_bytes / 1e9, g.hbm_bw_bytes_per_s / 1e12,
                g.scale_up_bw_bytes_per_s / 1e9, g.nic_bw_bytes_per_s * 8 / 1e9, g.tdp_w, g.price_usd_per_gpu_hour);
  }
  std::printf("\nClusters:");
  for (const std::string& name : configs::catalog_names("clusters")) std::printf(" %s", name.c_str());
  std::printf("\nPrices are defaults to override; peaks are dense datasheet values.\n");
  return 0;
}

}  // namespace

void add_catalog_commands(CLI::App& app, CommandRunner& runner) {
  auto json = std::make_shared<bool>(false);

  CLI::App* models_cmd = app.add_subcommand("models", "List the model catalog with parameter counts");
  models_cmd->add_flag("--json", *json, "Print one JSON document instead of a table");
  runner.on(models_cmd, [json] { return run_models(*json); });

  CLI::App* model_cmd = app.add_subcommand("model", "Describe one model");
  model_cmd->require_subcommand(1);
  CLI::App* show = model_cmd->add_subcommand("show", "Parameters, KV cache, FLOPs, weights and op graph of a model");
  auto name = std::make_shared<std::string>("deepseek-v3");
  auto req = std::make_shared<OpsRequest>();
  show->add_option("name", *name, "Catalog name or path to a model YAML (default: deepseek-v3)");
  show->add_option("--ops", req->phase, "Also list one layer's ops: forward, backward_input, backward_weight, prefill, decode");
  show->add_option("--layer", req->layer, "Layer for --ops (default: the last, an MoE layer)")->check(CLI::NonNegativeNumber);
  show->add_option("--sequences", req->sequences, "Sequences (or decode requests) in the batch")->check(CLI::PositiveNumber);
  show->add_option("--tokens", req->tokens, "New tokens per sequence (training/prefill)")->check(CLI::PositiveNumber);
  show->add_option("--context", req->context, "Tokens attended to per sequence (default: --tokens)")->check(CLI::PositiveNumber);
  show->add_flag("--json", *json, "Print one JSON document");
  runner.on(show, [name, req, json] { return run_model_show(*name, *req, *json); });

  CLI::App* hw = app.add_subcommand("hardware", "List the GPU catalog with peaks, memory, links and prices");
  hw->add_flag("--json", *json, "Print one JSON document instead of a table");
  runner.on(hw, [json] { return run_hardware(*json); });
}

}  // namespace moesim::cli
