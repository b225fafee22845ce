#include "planner/search/refine.hpp"

#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "models/hash.hpp"
#include "planner/search/plan_json.hpp"

namespace moesim::planner::search {

namespace {

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string cluster_yaml(const models::ClusterSpec& node, int nodes) {
  std::ostringstream y;
  y << "name: plan-" << node.gpu.name << "-" << nodes << "n\n"
    << "source: \"written by moesim plan from " << node.name << "\"\n"
    << "gpu: " << node.gpu.name << "\n"
    << "nodes: " << nodes << "\ngpus_per_node: " << node.gpus_per_node << "\n"
    << "scale_up:\n  domain_gpus: " << node.scale_up.domain_gpus << "\n"
    << "  bandwidth: " << num(models::scale_up_bw_one_way(node)) << " B/s\n"
    << "  latency: " << num(node.scale_up.latency_s) << " s\n"
    << "scale_out:\n  efficiency: " << num(node.scale_out.efficiency) << "\n"
    << "  latency_same_leaf: " << num(node.scale_out.latency_same_leaf_s) << " s\n"
    << "  latency_cross_leaf: " << num(node.scale_out.latency_cross_leaf_s) << " s\n"
    << "  planes: " << node.scale_out.planes << "\n";
  return y.str();
}

void instance_yaml(std::ostringstream& y, const char* role, const InstanceCandidate& c, const std::string& cluster_file,
                   int instances) {
  y << role << ":\n  cluster: " << cluster_file << "\n  instances: " << instances << "\n"
    << "  attention: " << (c.attention_tp == 1 ? "dp" : "tp") << "\n  attention_tp: " << c.attention_tp << "\n"
    << "  redundant_experts: " << c.redundant_experts << "\n  micro_batches: 2\n";
  if (c.role == InstanceRole::kPrefill) {
    y << "  comm_sms: 20\n  token_budget_per_gpu: " << c.batch << "\n";
  } else {
    y << "  max_requests_per_gpu: " << c.batch << "\n";
  }
}

int run_child(const std::string& exe, const std::string& scenario, const std::string& err_path, std::string* out) {
  int pipe_fd[2];
  if (pipe(pipe_fd) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(pipe_fd[1], STDOUT_FILENO);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err >= 0) dup2(err, STDERR_FILENO);
    close(pipe_fd[0]);
    execl(exe.c_str(), exe.c_str(), "simulate", "serve", scenario.c_str(), "--json", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fd[1]);
  char buf[65536];
  ssize_t n;
  while ((n = read(pipe_fd[0], buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
  close(pipe_fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

double percentile_of(const nlohmann::json& p, double pct) {
  if (pct >= 0.98 && p.contains("p99")) return p["p99"].get<double>();
  if (pct >= 0.75 && p.contains("p90")) return p["p90"].get<double>();
  return p.value("p50", 0.0);
}

}  // namespace

std::string ScenarioFiles::canonical() const {
  std::string text = scenario_yaml;
  for (const auto& [name, body] : files) text += "\n--- " + name + "\n" + body;
  return text;
}

ScenarioFiles serving_scenario_for(const configs::PlanSpec& plan, const DeploymentPlan& d, const ServingLoad& load) {
  const configs::PlanGpuSpec& g = plan.gpus[static_cast<size_t>(d.decode.gpu_index)];
  const configs::ServingPlanSpec& s = plan.serving;
  ScenarioFiles f;
  f.files.emplace_back("prefill-cluster.yaml", cluster_yaml(g.node, d.prefill.nodes));
  f.files.emplace_back("decode-cluster.yaml", cluster_yaml(g.node, d.decode.nodes));
  const double rate = load.requests_per_s / d.decode_instances;
  std::ostringstream y;
  y << "name: plan-refine\nsource: \"written by moesim plan: " << d.key << "\"\n"
    << "model: " << plan.model_name << "\nmode: disaggregated\nseed: " << plan.seed << "\n"
    << "price_usd_per_gpu_hour: " << num(g.price_usd_per_gpu_hour) << "\n"
    << "precision:\n  gemm: " << models::to_string(d.decode.weight_dtype)
    << "\n  kv_cache: " << models::to_string(d.decode.kv_dtype) << "\n  dispatch: " << models::to_string(d.decode.dispatch_dtype)
    << "\n  combine: bf16\n  attention: bf16\n"
    << "workload:\n  requests: " << s.simulated_requests << "\n  arrival: poisson\n  rate_per_s: " << num(rate) << "\n"
    << "  input_tokens: {distribution: lognormal, mean: " << num(load.mean_input_tokens) << ", cv: 1.0}\n"
    << "  output_tokens: {distribution: lognormal, mean: " << num(load.mean_output_tokens) << ", cv: 1.0}\n"
    << "  prefix_cache_hit_rate: " << num(s.load.prefix_cache_hit_rate) << "\n";
  // Prefill instances in proportion to this decode instance's share of the fleet (0 = auto).
  instance_yaml(y, "prefill", d.prefill, "@DIR@/prefill-cluster.yaml", 0);
  instance_yaml(y, "decode", d.decode, "@DIR@/decode-cluster.yaml", 1);
  y << "expert_load: {kind: " << (s.expert_zipf_exponent > 0 ? "zipf" : "balanced") << ", zipf_s: " << num(s.expert_zipf_exponent) << "}\n"
    << "mtp: {draft_tokens: " << s.mtp_draft_tokens << ", acceptance_rate: " << num(s.mtp_acceptance_rate) << "}\n"
    << "slo: {ttft: " << num(s.slo.ttft_s) << " s, tpot: " << num(s.slo.tpot_s) << " s}\n";
  f.scenario_yaml = y.str();
  return f;
}

SimulatedMetrics parse_serve_json(const std::string& text, const configs::ServingSloSpec& slo) {
  SimulatedMetrics m;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("ttft_s") || !j.contains("tpot_s")) {
    m.error = "simulate serve printed no ttft_s/tpot_s JSON";
    return m;
  }
  try {
    m.ttft_p_s = percentile_of(j["ttft_s"], slo.ttft_percentile);
    m.tpot_p_s = percentile_of(j["tpot_s"], slo.tpot_percentile);
    m.output_tokens_per_s_per_gpu = j.value("decode_output_tokens_per_s_per_gpu", 0.0);
  } catch (const std::exception& e) {
    m.error = std::string("unexpected simulate serve JSON: ") + e.what();
    return m;
  }
  m.ok = true;
  m.meets_slo = m.ttft_p_s <= slo.ttft_s && m.tpot_p_s <= slo.tpot_s;
  return m;
}

SimulatedMetrics SubprocessSimulator::simulate(const ScenarioFiles& scenario) const {
  SimulatedMetrics m;
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = fs::temp_directory_path(ec) / ("moesim-plan-" + std::to_string(::getpid()) + "-" +
                                                      fnv1a_hex(scenario.canonical()));
  fs::create_directories(dir, ec);
  if (ec) {
    m.error = "cannot create " + dir.string();
    return m;
  }
  for (const auto& [name, body] : scenario.files) std::ofstream(dir / name) << body;
  // Cluster files are named by absolute path; @DIR@ keeps the cached scenario text independent of it.
  std::string yaml = scenario.scenario_yaml;
  for (size_t at = yaml.find("@DIR@"); at != std::string::npos; at = yaml.find("@DIR@", at))
    yaml.replace(at, 5, dir.string());
  std::ofstream(dir / "scenario.yaml") << yaml;
  std::string out;
  const int rc = run_child(exe_, (dir / "scenario.yaml").string(), (dir / "stderr.txt").string(), &out);
  std::string first_line;
  std::getline(std::ifstream(dir / "stderr.txt"), first_line);
  if (std::getenv("MOESIM_PLAN_KEEP_SCENARIOS") == nullptr) fs::remove_all(dir, ec);
  if (rc != 0) {
    m.error = "simulate serve exited " + std::to_string(rc) + ": " + first_line;
    return m;
  }
  return parse_serve_json(out, slo_);
}

SimulatedMetrics CachedSimulator::simulate(const ScenarioFiles& scenario) const {
  const std::string key = fnv1a_hex(scenario.canonical());
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = memo_.find(key);
    if (it != memo_.end()) {
      ++hits_;
      SimulatedMetrics m = it->second;
      m.cached = true;
      return m;
    }
  }
  const std::string path = dir_.empty() ? "" : dir_ + "/" + key + ".txt";
  SimulatedMetrics m;
  bool loaded = false;
  if (!path.empty()) {
    std::ifstream in(path);
    int ok = 0, meets = 0;
    if (in >> ok >> m.ttft_p_s >> m.tpot_p_s >> m.output_tokens_per_s_per_gpu >> meets && ok == 1) {
      m.ok = true;
      m.meets_slo = meets == 1;
      m.cached = loaded = true;
    }
  }
  if (!loaded) {
    m = inner_.simulate(scenario);
    if (m.ok && !path.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(dir_, ec);
      std::ofstream(path) << 1 << " " << num(m.ttft_p_s) << " " << num(m.tpot_p_s) << " "
                          << num(m.output_tokens_per_s_per_gpu) << " " << (m.meets_slo ? 1 : 0) << "\n";
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (loaded) ++hits_;
  memo_[key] = m;
  return m;
}

void refine_top(const configs::PlanSpec& plan, const ServingLoad& load, std::vector<DeploymentPlan>* ranked, int k,
                const DeploymentSimulator& simulator, int jobs) {
  const size_t n = std::min(ranked->size(), static_cast<size_t>(std::max(0, k)));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      DeploymentPlan& d = (*ranked)[i];
      d.simulated = simulator.simulate(serving_scenario_for(plan, d, load));
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, jobs); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

void apply_refinement(std::vector<DeploymentPlan>* ranked, int k) {
  const auto end = ranked->begin() + static_cast<std::ptrdiff_t>(std::min(ranked->size(), static_cast<size_t>(std::max(0, k))));
  auto group = [](const DeploymentPlan& d) { return !d.simulated.ok ? 1 : d.simulated.meets_slo ? 0 : 2; };
  std::stable_sort(ranked->begin(), end, [&](const DeploymentPlan& a, const DeploymentPlan& b) { return group(a) < group(b); });
  for (auto it = ranked->begin(); it != end; ++it) {
    const SimulatedMetrics& m = it->simulated;
    if (!m.ok) continue;
    char buf[160];
    std::snprintf(buf, sizeof buf, "; simulation %s the SLO (TTFT %.2f s, TPOT %.1f ms)", m.meets_slo ? "confirms" : "misses",
                  m.ttft_p_s, m.tpot_p_s * 1e3);
    it->why += buf;
  }
}

std::string self_executable() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : p.string();
}

}  // namespace moesim::planner::search
