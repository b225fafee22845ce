// `moesim validate [--json] [--fit-network FILE]`: reproduces the published reference figures of
// shared/reference/published.md that the simulator can predict, and prints predicted against
// published. The published numbers below are the reference; they never enter a prediction (the
// T3 cells are the one calibration target: the network factors are fitted to them, so T3 rows show
// the fit's residuals, and --fit-network redoes that fit).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/cost_model_factory.hpp"
#include "configs/catalog.hpp"
#include "configs/training_scenario.hpp"
#include "models/memory.hpp"
#include "models/param_count.hpp"
#include "sim/all_to_all.hpp"
#include "sim/network_fit.hpp"
#include "sim/pipeline_schedule.hpp"
#include "sim/serving/t2_validation.hpp"
#include "sim/training_step.hpp"
#include "cli/spec_json.hpp"

namespace moesim::cli {

namespace {

struct Row {
  std::string id;
  double published = 0;
  double predicted = 0;
  std::string unit;
  std::string note;
};

// T3 of published.md: DeepEP normal kernels on H800, GB/s (dispatch, combine).
struct T3Cell {
  int ep;
  double dispatch_gb_s, combine_gb_s;
};
const std::vector<T3Cell> kT3 = {{8, 153, 158}, {16, 43, 43}, {32, 58, 57}, {64, 51, 50}};

void append(std::vector<Error>* to, const std::vector<Error>& from) { to->insert(to->end(), from.begin(), from.end()); }

void add_training_rows(std::vector<Row>* rows, std::vector<Error>* errors, const models::CostModel& cost) {
  Result<configs::TrainingScenario> v3 = configs::load_training_scenario("deepseek-v3-pretrain-h800");
  if (!v3.ok()) return append(errors, v3.errors());
  const sim::NetworkCalibration cal = sim::embedded_network_calibration(v3.value().cluster.gpu.name);
  Result<sim::TrainingResult> r = sim::simulate_training(v3.value(), cost, cal);
  if (!r.ok()) return append(errors, r.errors());
  rows->push_back({"T1.gpu_hours_per_trillion_tokens", 180e3, r.value().gpu_hours_per_trillion_tokens, "GPU-h",
                   "simulate train deepseek-v3-pretrain-h800"});
  rows->push_back({"T1.mfu_causal", 0.3894, r.value().mfu_causal, "", "BF16 peak, causal attention FLOPs"});
  rows->push_back({"T1.mfu_noncausal", 0.4373, r.value().mfu_noncausal, "", "BF16 peak, full attention FLOPs"});
  Result<configs::TrainingScenario> v2 = configs::load_training_scenario("deepseek-v2-pretrain-h800");
  if (!v2.ok()) return append(errors, v2.errors());
  Result<sim::TrainingResult> r2 = sim::simulate_training(v2.value(), cost, cal);
  if (!r2.ok()) return append(errors, r2.errors());
  rows->push_back({"T5.deepseek-v2.gpu_hours_per_trillion_tokens", 172.8e3, r2.value().gpu_hours_per_trillion_tokens,
                   "GPU-h", "simulate train deepseek-v2-pretrain-h800"});
}

// T2 (issue 6): the serving simulation of the T2 deployment; published values live in t2_validation.cpp.
void add_t2_rows(std::vector<Row>* rows, std::vector<Error>* errors, const models::CostModel& cost) {
  Result<std::vector<sim::serving::ValidationRow>> r = sim::serving::validate_t2_rows(cost);
  if (!r.ok()) return append(errors, r.errors());
  for (const auto& v : r.value()) rows->push_back({v.id, v.published, v.predicted, v.unit, v.note});
}

void add_t3_rows(std::vector<Row>* rows, std::vector<Error>* errors) {
  Result<models::ModelSpec> model = configs::load_model("deepseek-v3");
  Result<models::ClusterSpec> cluster = configs::load_cluster("deepseek-h800-2048");
  if (!model.ok()) return append(errors, model.errors());
  if (!cluster.ok()) return append(errors, cluster.errors());
  const sim::NetworkCalibration cal = sim::embedded_network_calibration(cluster.value().gpu.name);
  for (const T3Cell& cell : kT3) {
    sim::AllToAllSpec spec;
    spec.ep = cell.ep;
    Result<sim::AllToAllResult> r = sim::simulate_all_to_all(model.value(), cluster.value(), cal, spec);
    if (!r.ok()) return append(errors, r.errors());
    const std::string id = std::string("T3.") + (r.value().internode ? "internode" : "intranode") + "_ep" +
                           std::to_string(cell.ep);
    rows->push_back({id + ".dispatch_bw", cell.dispatch_gb_s * 1e9, r.value().dispatch_bottleneck_bw_bytes_per_s,
                     "B/s", "calibration target (fit residual)"});
    rows->push_back({id + ".combine_bw", cell.combine_gb_s * 1e9, r.value().combine_bottleneck_bw_bytes_per_s, "B/s",
                     "calibration target (fit residual)"});
  }
}

// T4: bubbles of a zero-communication run against the formulas, with the chunk times of the T1
// scenario's median stage on every stage, and with equal F, B-input and W.
void add_t4_rows(std::vector<Row>* rows, std::vector<Error>* errors, const models::CostModel& cost) {
  Result<configs::TrainingScenario> loaded = configs::load_training_scenario("deepseek-v3-pretrain-h800");
  if (!loaded.ok()) return append(errors, loaded.errors());
  configs::TrainingScenario s = loaded.value();
  const std::vector<sim::StageCompute> stages = sim::build_stages(s, s.cluster.gpu, cost, 1.0);
  const sim::StageCompute& mid = stages[stages.size() / 2];
  const int pp = static_cast<int>(s.pp), m = static_cast<int>(s.micro_batches());
  struct Case {
    const char* tag;
    double f, bi, w;
  };
  for (const Case& c : {Case{"v3_stage", mid.forward_s, mid.backward_input_s, mid.backward_weight_s},
                        Case{"equal_chunks", 1.0, 1.0, 1.0}}) {
    for (sim::ScheduleKind k : {sim::ScheduleKind::k1F1B, sim::ScheduleKind::kZb1p, sim::ScheduleKind::kDualPipe}) {
      sim::StageCosts costs;
      costs.forward_s.assign(pp, c.f);
      costs.backward_input_s.assign(pp, c.bi);
      costs.weight_s.assign(pp, c.w);
      Result<sim::PipelineResult> r = sim::run_pipeline(k, pp, m, costs);
      if (!r.ok()) return append(errors, r.errors());
      double bubble = 0;
      for (double b : r.value().bubble_s) bubble = std::max(bubble, b);
      const double formula = sim::bubble_formula(k, pp, c.f, c.bi + c.w, c.w, c.f + c.bi + c.w);
      std::string note = "published formula evaluated at the same F, B, W (pp " + std::to_string(pp) + ", " +
                         std::to_string(m) + " micro-batches)";
      // dualpipe.py's order, executed as written, departs from the README formula by (F - B-input)
      // per half-pipeline step: the formula takes a forward and an input backward to be equal.
      if (k == sim::ScheduleKind::kDualPipe && c.f != c.bi) {
        char ratio[96];
        std::snprintf(ratio, sizeof ratio, "; the formula assumes F = B-input, here F/B-input = %.2f", c.f / c.bi);
        note += ratio;
      }
      rows->push_back({std::string("T4.") + sim::schedule_name(k) + "." + c.tag + ".bubble_s", formula, bubble, "s", note});
    }
  }
}

void add_t5_rows(std::vector<Row>* rows, std::vector<Error>* errors) {
  struct Identity {
    const char* model;
    double kv_bytes, train_gflops;
  };
  // models.md / ISCA'25 Tables 1-2.
  for (const Identity& id : {Identity{"deepseek-v3", 70272, 250}, Identity{"deepseek-v2", 69120, 155}}) {
    Result<models::ModelSpec> m = configs::load_model(id.model);
    if (!m.ok()) return append(errors, m.errors());
    const std::string p = std::string("T5.") + id.model;
    rows->push_back({p + ".kv_bytes_per_token", id.kv_bytes,
                     models::kv_cache_bytes_per_token(m.value(), models::DType::kBf16), "B", "BF16 KV cache"});
    rows->push_back({p + ".training_gflops_per_token", id.train_gflops,
                     models::training_flops_per_token(m.value(), 4096) / 1e9, "GFLOP", "4K sequence"});
  }
}

int fit_network(const std::string& out_path) {
  Result<models::ModelSpec> model = configs::load_model("deepseek-v3");
  Result<models::ClusterSpec> cluster = configs::load_cluster("deepseek-h800-2048");
  if (!model.ok()) return report_errors(model.errors());
  if (!cluster.ok()) return report_errors(cluster.errors());
  std::vector<sim::AllToAllMeasurement> measured;
  for (const T3Cell& c : kT3) measured.push_back({c.ep, c.dispatch_gb_s * 1e9, c.combine_gb_s * 1e9});
  Result<sim::NetworkFitResult> fit = sim::fit_network_calibration(model.value(), cluster.value(), measured, {});
  if (!fit.ok()) return report_errors(fit.errors());
  const sim::NetworkCalibration& cal = fit.value().calibration;
  nlohmann::json cells = nlohmann::json::array();
  for (const T3Cell& c : kT3)
    cells.push_back({{"type", c.ep > 8 ? "internode" : "intranode"}, {"ep", c.ep}, {"dispatch", c.dispatch_gb_s},
                     {"combine", c.combine_gb_s}});
  const nlohmann::json doc = {
      {"schema_version", 1},
      {"kind", "network_calibration"},
      {"gpu", cluster.value().gpu.name},
      {"cluster", cluster.value().name},
      {"fitted",
       {{"nvlink_efficiency", cal.nvlink_efficiency}, {"nvlink_forward_efficiency", cal.nvlink_forward_efficiency},
        {"rdma_efficiency", cal.rdma_efficiency}, {"collective_latency_s", cal.collective_latency_s}}},
      {"meaning",
       {{"nvlink_efficiency", "achieved / cluster scale_up bandwidth for intranode all-to-all kernels"},
        {"nvlink_forward_efficiency",
         "same, for NVLink forwarding inside internode kernels (DeepEP splits SMs between RDMA senders and "
         "NVLink forwarders)"},
        {"rdma_efficiency", "achieved / nominal NIC bandwidth"},
        {"collective_latency_s", "fixed cost per collective kernel (launch, notify, barrier)"}}},
      {"fitted_against",
       {{"source", "shared/reference/published.md T3: DeepEP normal kernels on H800, 4,096 tokens per rank, hidden "
                   "7168, top-4 groups, top-8 experts, FP8 dispatch, BF16 combine"},
        {"metric", "DeepEP bottleneck bandwidth: internode = RDMA bytes / time counting each token once per target "
                   "node including its own ('logical'); intranode = NVLink bytes received per rank including its "
                   "own tokens / time"},
        {"cells_gb_per_s", cells}}},
      {"method", "sim::fit_network_calibration: one simulation per EP size at unit factors (seeded router, seed 1, "
                 "contiguous expert layout, DeepEP paths), then a grid search minimising the worst relative "
                 "bandwidth error (moesim validate --fit-network FILE)"},
      {"tool", "moesim (SimGrid 3.32, ptask_L07)"},
      {"fit_max_abs_relative_error", fit.value().max_abs_relative_error}};
  Status written = write_file_atomically(out_path, doc.dump(2) + "\n");
  if (!written.ok()) return report_errors(written.errors());
  std::cout << "wrote " << out_path << ": nvlink " << cal.nvlink_efficiency << ", forward "
            << cal.nvlink_forward_efficiency << ", rdma " << cal.rdma_efficiency << ", latency "
            << cal.collective_latency_s * 1e6 << " us, worst cell error "
            << format_fixed(100 * fit.value().max_abs_relative_error, 1) << " %\n";
  return 0;
}

int run_validate(bool json, const std::vector<std::string>& calibration) {
  Result<CostModelChoice> model = make_cost_model(calibration);
  if (!model.ok()) return report_errors(model.errors());
  const models::CostModel& cost = *model.value().model;
  std::vector<Row> rows;
  std::vector<Error> errors;
  add_training_rows(&rows, &errors, cost);
  add_t2_rows(&rows, &errors, cost);
  add_t3_rows(&rows, &errors);
  add_t4_rows(&rows, &errors, cost);
  add_t5_rows(&rows, &errors);
  // It reports, it does not judge: problems become notes on stderr, the exit code stays 0.
  for (const Error& e : errors) std::cerr << "moesim: warning: " << e.message << "\n";
  nlohmann::json out = nlohmann::json::array();
  for (const Row& r : rows) {
    const double rel = r.published != 0 ? (r.predicted - r.published) / r.published : 0.0;
    out.push_back({{"id", r.id}, {"published", r.published}, {"predicted", r.predicted}, {"relative_error", rel},
                   {"unit", r.unit}, {"note", r.note}});
  }
  if (json) {
    print_json({{"schema_version", kSchemaVersion}, {"command", "validate"},
                {"cost_model", model.value().description}, {"rows", out}});
    return 0;
  }
  std::printf("%-52s %14s %14s %9s\n", "id", "published", "predicted", "rel.err");
  for (const auto& r : out) {
    std::printf("%-52s %14.6g %14.6g %+8.1f%%\n", r["id"].get<std::string>().c_str(), r["published"].get<double>(),
                r["predicted"].get<double>(), 100 * r["relative_error"].get<double>());
  }
  return 0;
}

}  // namespace

void add_validate_commands(CLI::App& app, CommandRunner& runner) {
  CLI::App* sub = app.add_subcommand("validate", "Predict the published reference figures; print predicted vs published");
  auto json = std::make_shared<bool>(false);
  auto fit_out = std::make_shared<std::string>();
  auto calibration = std::make_shared<std::vector<std::string>>();
  sub->add_flag("--json", *json, "Print one JSON document");
  sub->add_option("--fit-network", *fit_out,
                  "Refit the network calibration against T3 and write it to FILE (then rebuild to embed it)");
  add_calibration_option(sub, calibration.get());
  runner.on(sub, [=] { return fit_out->empty() ? run_validate(*json, *calibration) : fit_network(*fit_out); });
}

}  // namespace moesim::cli
