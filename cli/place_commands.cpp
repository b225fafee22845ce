// `moesim place`: expert placement (EPLB `deepseek`, `balanced`, `locality`) over measured or
// synthetic expert loads, with an optional migration budget; writes SGLang-compatible maps.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/spec_json.hpp"
#include "configs/catalog.hpp"
#include "models/dtype.hpp"
#include "models/param_count.hpp"
#include "planner/balanced.hpp"
#include "planner/eplb.hpp"
#include "planner/locality.hpp"
#include "planner/migration.hpp"
#include "planner/placement_stats.hpp"

namespace moesim::cli {
namespace {

using planner::LoadMatrix;
using planner::PlacementPlan;
using planner::PlacementSpec;
using planner::PlacementStats;

// The flags as given (defaults: DeepSeek-V3 decode, 58 MoE layers × 256 experts on 144 GPUs).
struct PlaceFlags {
  std::vector<std::string> loads, scores;
  std::string trace, synthetic, policy = "balanced", previous, out, model = "deepseek-v3";
  int layers = 58, experts = 256, max_moves = -1;
  uint64_t seed = 0;
  PlacementSpec spec{288, 8, 18, 144};
  double expert_bytes = 0, token_bytes = 7168, load_slack = 0.05;
  bool json = false;
};

// Everything the placement is computed from, after files are read.
struct PlaceInputs {
  LoadMatrix loads;
  std::string loads_source;                   // for the summary
  std::optional<planner::RoutingTrace> trace;  // for locality and traffic figures
  double expert_bytes = 0;
};

Result<double> zipf_exponent(const std::string& synthetic) {
  const std::string prefix = "zipf:";
  char* end = nullptr;
  const std::string rest = synthetic.rfind(prefix, 0) == 0 ? synthetic.substr(prefix.size()) : "";
  const double s = rest.empty() ? -1 : std::strtod(rest.c_str(), &end);
  if (rest.empty() || end != rest.c_str() + rest.size() || !(s >= 0) || s > 10) {
    return bad_input("--synthetic=" + synthetic + " is invalid (expected zipf:S with 0 <= S <= 10, e.g. zipf:1.0)");
  }
  return s;
}

// Sums several load snapshots (as SGLang accumulates logical_count); shapes must agree.
Status add_loads(const LoadMatrix& more, const std::string& path, LoadMatrix* sum) {
  if (sum->empty()) {
    *sum = more;
    return {};
  }
  if (more.size() != sum->size() || more[0].size() != (*sum)[0].size()) {
    return bad_input(path + ": " + std::to_string(more.size()) + " layers × " + std::to_string(more[0].size()) +
                     " experts, expected " + std::to_string(sum->size()) + " × " + std::to_string((*sum)[0].size()) +
                     " (as in the first --loads file)");
  }
  for (size_t l = 0; l < more.size(); ++l) {
    for (size_t e = 0; e < more[l].size(); ++e) (*sum)[l][e] += more[l][e];
  }
  return {};
}

Status read_file_loads(const PlaceFlags& f, PlaceInputs* in) {
  for (const std::string& path : f.loads) {
    auto text = traces::read_text_file(path);
    if (!text.ok()) return text.errors();
    auto loads = traces::parse_loads_text(text.value(), path);
    if (!loads.ok()) return loads.errors();
    Status s = add_loads(loads.value(), path, &in->loads);
    if (!s.ok()) return s;
    // A routing trace given as --loads also serves the locality policy and the traffic figures.
    if (!in->trace && traces::is_routing_trace_text(text.value())) {
      in->trace = std::move(traces::parse_routing_trace_json(text.value(), path)).value();
    }
  }
  in->loads_source = "files";
  return {};
}

Status read_inputs(const PlaceFlags& f, PlaceInputs* in) {
  if (!f.loads.empty() && !f.synthetic.empty()) return bad_input("--loads and --synthetic are exclusive (give one of them)");
  if (f.layers < 1 || f.experts < 1) return bad_input("--layers and --experts must be positive integers");
  if (!f.trace.empty()) {
    auto trace = traces::read_routing_trace_file(f.trace);
    if (!trace.ok()) return trace.errors();
    in->trace = std::move(trace).value();
  }
  if (!f.loads.empty()) return read_file_loads(f, in);
  if (in->trace) {
    in->loads = traces::loads_from_trace(*in->trace);
    in->loads_source = "routing trace " + f.trace;
    return {};
  }
  const std::string synthetic = f.synthetic.empty() ? "zipf:1.0" : f.synthetic;
  auto s = zipf_exponent(synthetic);
  if (!s.ok()) return s.errors();
  in->loads = traces::zipf_loads({f.layers, f.experts, s.value(), 8.0 * 4096, f.seed});
  in->loads_source = "synthetic " + synthetic + " seed " + std::to_string(f.seed) + (f.synthetic.empty() ? " (embedded default)" : "");
  if (f.policy == "locality") {  // a matching synthetic trace with co-activation clusters
    in->trace = traces::synthetic_routing_trace({f.layers, f.experts, 8, 1024, std::max(2, f.spec.nodes), 0.75, f.seed});
    in->loads = traces::loads_from_trace(*in->trace);
    in->loads_source = "synthetic routing trace seed " + std::to_string(f.seed) + " (clustered co-activation)";
  }
  return {};
}

// Bytes of one expert's weights: --expert-bytes, else the model's expert in FP8 with block scales.
Result<double> expert_bytes(const PlaceFlags& f) {
  if (f.expert_bytes < 0) return bad_input("--expert-bytes=" + format_fixed(f.expert_bytes, 0) + " is invalid (expected >= 0)");
  if (f.expert_bytes > 0) return f.expert_bytes;
  auto model = configs::load_model(f.model);
  if (!model.ok()) return model.errors();
  const double params = static_cast<double>(models::count_params(model.value()).params_per_expert);
  return params * models::weight_bytes_per_element(models::DType::kFp8);
}

Status check_trace(const PlaceInputs& in, const std::string& name) {
  if (!in.trace) return {};
  const auto& t = *in.trace;
  if (t.choices.size() != in.loads.size() || static_cast<size_t>(t.num_experts) != in.loads[0].size()) {
    return bad_input(name + ": the routing trace has " + std::to_string(t.choices.size()) + " layers × " +
                     std::to_string(t.num_experts) + " experts, expected " + std::to_string(in.loads.size()) + " × " +
                     std::to_string(in.loads[0].size()) + " (as in the loads)");
  }
  return {};
}

PlacementPlan run_policy(const PlaceFlags& f, const PlaceInputs& in) {
  if (f.policy == "deepseek") return planner::place_deepseek(in.loads, f.spec);
  if (f.policy == "locality") return planner::place_locality(in.loads, *in.trace, f.spec, f.load_slack);
  return planner::place_balanced(in.loads, f.spec);
}

nlohmann::json stats_json(const PlacementStats& s, bool with_rows) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& l : s.per_layer) {
    rows.push_back({{"max_gpu_load", l.max_gpu_load}, {"mean_gpu_load", l.mean_gpu_load}, {"imbalance", l.imbalance},
                    {"lower_bound", l.lower_bound}, {"gap", l.gap}});
  }
  nlohmann::json out = {{"imbalance_mean", s.imbalance_mean}, {"gap_mean", s.gap_mean}};
  if (with_rows) out["per_layer"] = rows;
  return out;
}

nlohmann::json gpu_load_rows(const PlacementPlan& plan, const LoadMatrix& loads, const PlacementSpec& spec) {
  nlohmann::json rows = nlohmann::json::array();
  for (size_t l = 0; l < loads.size(); ++l) rows.push_back(planner::gpu_loads(plan.physical_to_logical[l], loads[l], spec));
  return rows;
}

nlohmann::json inputs_json(const PlaceFlags& f, const PlaceInputs& in) {
  return {{"loads", f.loads},
          {"loads_source", in.loads_source},
          {"trace", f.trace},
          {"synthetic", f.synthetic},
          {"seed", f.seed},
          {"layers", in.loads.size()},
          {"experts", in.loads[0].size()},
          {"replicas", f.spec.replicas},
          {"groups", f.spec.groups},
          {"nodes", f.spec.nodes},
          {"gpus", f.spec.gpus},
          {"hierarchical", planner::is_hierarchical(f.spec)},
          {"policy", f.policy},
          {"previous", f.previous},
          {"max_moves", f.max_moves},
          {"expert_bytes", in.expert_bytes},
          {"token_bytes", f.token_bytes},
          {"load_slack", f.load_slack},
          {"scores", f.scores}};
}

// --previous / --max-moves: replaces the plan by the budgeted one and reports the moves.
Status apply_migration(const PlaceFlags& f, const PlaceInputs& in, PlacementPlan* plan, nlohmann::json* doc) {
  auto text = traces::read_text_file(f.previous);
  if (!text.ok()) return text.errors();
  const int layers = static_cast<int>(in.loads.size()), experts = static_cast<int>(in.loads[0].size());
  auto previous = planner::parse_previous_placement(text.value(), f.previous, f.spec, layers, experts);
  if (!previous.ok()) return previous.errors();
  const planner::MigrationSpec m{f.max_moves, f.policy == "deepseek"};
  planner::MigrationResult r = planner::limit_migration(previous.value(), *plan, in.loads, f.spec, m);
  const PlacementStats before = planner::placement_stats(previous.value(), in.loads, f.spec);
  (*doc)["migration"] = {{"max_moves_per_layer", f.max_moves},
                         {"moves_per_layer", r.moves_per_layer},
                         {"total_moves", r.total_moves},
                         {"expert_bytes", in.expert_bytes},
                         {"bytes_moved", static_cast<double>(r.total_moves) * in.expert_bytes},
                         {"previous_imbalance_mean", before.imbalance_mean}};
  *plan = std::move(r.plan);
  return {};
}

Status add_scores(const PlaceFlags& f, const PlaceInputs& in, const PlacementPlan& plan, nlohmann::json* doc) {
  nlohmann::json scores = nlohmann::json::array();
  for (const std::string& path : f.scores) {
    auto loads = traces::read_loads_file(path);
    if (!loads.ok()) return loads.errors();
    if (loads.value().size() != in.loads.size() || loads.value()[0].size() != in.loads[0].size()) {
      return bad_input(path + ": " + std::to_string(loads.value().size()) + " layers × " + std::to_string(loads.value()[0].size()) +
                       " experts, expected " + std::to_string(in.loads.size()) + " × " + std::to_string(in.loads[0].size()) +
                       " (the placement's shape)");
    }
    scores.push_back({{"file", path}, {"stats", stats_json(planner::placement_stats(plan, loads.value(), f.spec), true)}});
  }
  (*doc)["scores"] = scores;
  return {};
}

void add_traffic(const PlaceFlags& f, const PlaceInputs& in, const PlacementPlan& plan, nlohmann::json* doc) {
  if (!in.trace) return;
  const planner::TrafficSpec traffic{f.token_bytes};
  const std::string baseline = f.policy == "locality" ? "balanced" : "deepseek";
  const PlacementPlan base = f.policy == "locality" ? planner::place_balanced(in.loads, f.spec) : planner::place_deepseek(in.loads, f.spec);
  (*doc)["traffic"] = {{"baseline_policy", baseline},
                       {"cross_node_bytes_per_token_before", planner::cross_node_bytes_per_token(base, *in.trace, f.spec, traffic)},
                       {"cross_node_bytes_per_token_after", planner::cross_node_bytes_per_token(plan, *in.trace, f.spec, traffic)},
                       {"token_bytes", f.token_bytes}};
}

nlohmann::json maps_json(const PlacementPlan& plan) {
  return {{"physical_to_logical_map", plan.physical_to_logical},
          {"logical_to_physical_map", plan.logical_to_physical},
          {"logical_count", plan.logical_count}};
}

void print_summary(const PlaceFlags& f, const PlaceInputs& in, const nlohmann::json& doc) {
  const auto& st = doc["stats"];
  std::printf("moesim place: policy %s, %zu layers x %zu experts -> %d slots on %d GPUs in %d nodes (%s)\n", f.policy.c_str(),
              in.loads.size(), in.loads[0].size(), f.spec.replicas, f.spec.gpus, f.spec.nodes,
              planner::is_hierarchical(f.spec) ? "hierarchical: groups stay on nodes" : "global");
  std::printf("loads: %s\n\n", in.loads_source.c_str());
  std::printf("%-22s %16s %20s\n", "POLICY", "IMBALANCE (mean)", "GAP TO LOWER BOUND");
  std::printf("%-22s %16s %19s%%\n", f.policy.c_str(), format_fixed(st["imbalance_mean"], 4).c_str(),
              format_fixed(100 * st["gap_mean"].get<double>(), 2).c_str());
  const auto& base = doc["baseline"];
  std::printf("%-22s %16s %19s%%\n\n", "deepseek (reference)", format_fixed(base["imbalance_mean"], 4).c_str(),
              format_fixed(100 * base["gap_mean"].get<double>(), 2).c_str());
  std::printf("%5s %14s %14s %10s %14s %8s\n", "LAYER", "MAX GPU LOAD", "MEAN GPU LOAD", "IMBALANCE", "LOWER BOUND", "GAP");
  for (size_t l = 0; l < st["per_layer"].size(); ++l) {
    const auto& r = st["per_layer"][l];
    std::printf("%5zu %14s %14s %10s %14s %7s%%\n", l, format_fixed(r["max_gpu_load"], 1).c_str(),
                format_fixed(r["mean_gpu_load"], 1).c_str(), format_fixed(r["imbalance"], 4).c_str(),
                format_fixed(r["lower_bound"], 1).c_str(), format_fixed(100 * r["gap"].get<double>(), 2).c_str());
  }
  if (doc.contains("migration")) {
    const auto& m = doc["migration"];
    std::printf("\nmigration: %lld slots changed (%s of expert weights); previous placement imbalance %s\n",
                static_cast<long long>(m["total_moves"].get<int64_t>()), format_bytes(m["bytes_moved"]).c_str(),
                format_fixed(m["previous_imbalance_mean"], 4).c_str());
  }
  if (doc.contains("traffic")) {
    const auto& t = doc["traffic"];
    std::printf("\ncross-node dispatch: %s per token with %s, %s with %s\n", format_bytes(t["cross_node_bytes_per_token_before"]).c_str(),
                t["baseline_policy"].get<std::string>().c_str(), format_bytes(t["cross_node_bytes_per_token_after"]).c_str(),
                f.policy.c_str());
  }
  for (const auto& sc : doc["scores"]) {
    std::printf("\nscored on %s: imbalance %s, gap %s%%\n", sc["file"].get<std::string>().c_str(),
                format_fixed(sc["stats"]["imbalance_mean"], 4).c_str(), format_fixed(100 * sc["stats"]["gap_mean"].get<double>(), 2).c_str());
  }
  if (!f.out.empty()) std::printf("\nwrote %s\n", f.out.c_str());
}

int finish_place(const PlaceFlags& f, const PlaceInputs& in, PlacementPlan plan, nlohmann::json doc) {
  if (!f.previous.empty()) {
    Status s = apply_migration(f, in, &plan, &doc);
    if (!s.ok()) return report_errors(s.errors());
  }
  Status s = add_scores(f, in, plan, &doc);
  if (!s.ok()) return report_errors(s.errors());
  const planner::LayerBounds bounds = planner::lower_bounds(in.loads, f.spec);
  const PlacementStats stats = planner::placement_stats(plan, in.loads, f.spec, bounds);
  const PlacementPlan reference = planner::place_deepseek(in.loads, f.spec);
  doc.update(maps_json(plan));
  doc["stats"] = stats_json(stats, true);
  doc["stats"]["gpu_loads"] = gpu_load_rows(plan, in.loads, f.spec);
  doc["baseline"] = stats_json(planner::placement_stats(reference, in.loads, f.spec, bounds), false);
  doc["baseline"]["policy"] = "deepseek";
  doc["baseline"]["gpu_loads"] = gpu_load_rows(reference, in.loads, f.spec);
  add_traffic(f, in, plan, &doc);
  if (!f.out.empty()) {
    s = write_file_atomically(f.out, doc.dump(1) + "\n");
    if (!s.ok()) return report_errors(s.errors());
  }
  if (f.json) {
    print_json(doc);
  } else {
    print_summary(f, in, doc);
  }
  return 0;
}

int run_place(const PlaceFlags& f) {
  if (f.policy != "deepseek" && f.policy != "balanced" && f.policy != "locality") {
    return report_errors({bad_input("--policy=" + f.policy + " is unknown (expected deepseek, balanced or locality)")});
  }
  if (f.max_moves >= 0 && f.previous.empty()) return report_errors({bad_input("--max-moves needs --previous PLACEMENT.json")});
  if (f.max_moves < -1) return report_errors({bad_input("--max-moves=" + std::to_string(f.max_moves) + " is invalid (expected >= 0)")});
  if (!(f.token_bytes > 0)) return report_errors({bad_input("--token-bytes=" + format_fixed(f.token_bytes, 0) + " is invalid (expected > 0)")});
  if (!(f.load_slack >= 0)) return report_errors({bad_input("--load-slack=" + format_fixed(f.load_slack, 3) + " is invalid (expected >= 0)")});
  PlaceInputs in;
  Status s = read_inputs(f, &in);
  if (!s.ok()) return report_errors(s.errors());
  std::vector<Error> errors = planner::validate_placement_spec(f.spec, static_cast<int>(in.loads[0].size()));
  if (!errors.empty()) return report_errors(errors);
  s = check_trace(in, f.trace.empty() ? "--loads" : f.trace);
  if (!s.ok()) return report_errors(s.errors());
  if (f.policy == "locality" && !in.trace) {
    return report_errors({bad_input("--policy=locality needs a routing trace (--trace FILE, or a trace file as --loads)")});
  }
  auto bytes = expert_bytes(f);
  if (!bytes.ok()) return report_errors(bytes.errors());
  in.expert_bytes = bytes.value();
  nlohmann::json inputs = inputs_json(f, in);
  nlohmann::json doc = {{"schema_version", kSchemaVersion}, {"command", "place"}, {"inputs", inputs},
                        {"input_hash", config_hash({{"inputs", inputs}, {"loads", in.loads}})}};
  return finish_place(f, in, run_policy(f, in), std::move(doc));
}

}  // namespace

void add_place_commands(CLI::App& app, CommandRunner& runner) {
  auto f = std::make_shared<PlaceFlags>();
  CLI::App* place = app.add_subcommand(
      "place", "Expert placement (EPLB): which experts to replicate and on which GPU; SGLang-compatible maps");
  place->add_option("--loads", f->loads, "Expert loads: CSV (layers × experts), SGLang JSON {\"logical_count\": ...} or a routing trace; repeatable (summed)");
  place->add_option("--trace", f->trace, "Routing trace JSON (token → top-k expert ids per layer) for --policy locality and traffic figures");
  place->add_option("--synthetic", f->synthetic, "Synthetic loads zipf:S (default when no --loads: zipf:1.0)");
  place->add_option("--layers", f->layers, "Layers of synthetic loads (default 58)");
  place->add_option("--experts", f->experts, "Experts of synthetic loads (default 256)");
  place->add_option("--seed", f->seed, "Seed of synthetic loads (default 0)");
  place->add_option("--replicas", f->spec.replicas, "Physical expert slots per layer R (default 288)");
  place->add_option("--groups", f->spec.groups, "Expert groups G (default 8)");
  place->add_option("--nodes", f->spec.nodes, "Nodes N (default 18)");
  place->add_option("--gpus", f->spec.gpus, "GPUs M (default 144)");
  place->add_option("--policy", f->policy, "deepseek | balanced | locality (default balanced)");
  place->add_option("--previous", f->previous, "Placement JSON currently deployed (from `moesim place --json`)");
  place->add_option("--max-moves", f->max_moves, "Change at most K slots per layer relative to --previous");
  place->add_option("--expert-bytes", f->expert_bytes, "Bytes of one expert's weights (default: --model's expert in FP8)");
  place->add_option("--model", f->model, "Model whose expert size prices a move (default deepseek-v3)");
  place->add_option("--token-bytes", f->token_bytes, "Bytes one token's dispatch sends per remote node (default 7168)");
  place->add_option("--load-slack", f->load_slack, "locality: allowed rise of the max GPU load over balanced (default 0.05)");
  place->add_option("--score", f->scores, "Also evaluate the placement on these loads (repeatable)");
  place->add_option("--out", f->out, "Write the placement JSON to this file");
  place->add_flag("--json", f->json, "Print one JSON document instead of a summary");
  runner.on(place, [f] { return run_place(*f); });
}

}  // namespace moesim::cli
