#include "planner/search/sim_runner.hpp"

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

namespace moesim::planner::search {

namespace {

namespace fs = std::filesystem;

int run_child(const std::vector<std::string>& argv, const std::string& err_path, std::string* out) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Close-on-exec, so children started by other threads meanwhile do not hold this pipe open.
  int pipe_fd[2];
  if (pipe2(pipe_fd, O_CLOEXEC) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fd[0]);
    close(pipe_fd[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(pipe_fd[1], STDOUT_FILENO);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err >= 0) dup2(err, STDERR_FILENO);
    close(pipe_fd[0]);
    execv(args[0], args.data());
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

// Disk cache entry: "moesim-simulation-run 1 EXIT\nERROR LINE\nSTDOUT...".
bool read_entry(const std::string& path, SimulationRun* run) {
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  int version = 0;
  if (!(in >> magic >> version >> run->exit_code) || magic != "moesim-simulation-run" || version != 1) return false;
  in.ignore(1);
  std::getline(in, run->error);
  std::ostringstream rest;
  rest << in.rdbuf();
  run->json = rest.str();
  return run->exit_code == 0 || run->exit_code == 3;
}

void write_entry(const std::string& dir, const std::string& path, const SimulationRun& run) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  std::ofstream(tmp, std::ios::binary) << "moesim-simulation-run 1 " << run.exit_code << "\n" << run.error << "\n" << run.json;
  fs::rename(tmp, path, ec);
}

}  // namespace

std::string ScenarioFiles::canonical() const {
  std::string text = "simulate " + command + "\n" + scenario_yaml;
  for (const auto& [name, body] : files) text += "\n--- " + name + "\n" + body;
  return text;
}

SimulationRun SubprocessRunner::run(const ScenarioFiles& scenario) const {
  static std::atomic<int> serial{0};
  SimulationRun r;
  std::error_code ec;
  const fs::path dir = fs::temp_directory_path(ec) / ("moesim-plan-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(serial++) + "-" + fnv1a_hex(scenario.canonical()));
  fs::create_directories(dir, ec);
  if (ec) {
    r.error = "cannot create " + dir.string();
    return r;
  }
  for (const auto& [name, body] : scenario.files) std::ofstream(dir / name) << body;
  std::string yaml = scenario.scenario_yaml;
  for (size_t at = yaml.find("@DIR@"); at != std::string::npos; at = yaml.find("@DIR@", at))
    yaml.replace(at, 5, dir.string());
  std::ofstream(dir / "scenario.yaml") << yaml;
  std::vector<std::string> argv = {exe_, "simulate", scenario.command, (dir / "scenario.yaml").string(), "--json"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  r.exit_code = run_child(argv, (dir / "stderr.txt").string(), &r.json);
  std::getline(std::ifstream(dir / "stderr.txt"), r.error);
  // The child names the temp file in its messages; the cached text must not depend on it.
  for (size_t at = r.error.find(dir.string()); at != std::string::npos; at = r.error.find(dir.string(), at))
    r.error.replace(at, dir.string().size(), "@DIR@");
  if (r.exit_code == -1) r.error = "cannot start " + exe_;
  if (std::getenv("MOESIM_PLAN_KEEP_SCENARIOS") == nullptr) fs::remove_all(dir, ec);
  return r;
}

SimulationRun CachedRunner::run(const ScenarioFiles& scenario) const {
  const std::string key = fnv1a_hex(scenario.canonical() + "\n--- salt\n" + salt_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = memo_.find(key);
    if (it != memo_.end()) {
      ++hits_;
      SimulationRun r = it->second;
      r.cached = true;
      return r;
    }
  }
  const std::string path = dir_.empty() ? "" : dir_ + "/" + key + ".run";
  SimulationRun r;
  const bool loaded = !path.empty() && read_entry(path, &r);
  if (loaded) {
    r.cached = true;
  } else {
    r = inner_.run(scenario);
    if (!path.empty() && (r.exit_code == 0 || r.exit_code == 3)) write_entry(dir_, path, r);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (loaded) ++hits_;
  memo_[key] = r;
  return r;
}

size_t CachedRunner::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

void for_each_parallel(size_t n, int jobs, const std::function<void(size_t)>& fn,
                       const std::function<void(size_t, size_t)>& progress) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  size_t done = 0;
  if (progress && n > 0) progress(0, n);
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      fn(i);
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (progress) progress(done, n);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min(std::max(1, jobs), static_cast<int>(std::max<size_t>(1, n))); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

std::string yaml_number(double v) {
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
    << "  bandwidth: " << yaml_number(models::scale_up_bw_one_way(node)) << " B/s\n"
    << "  latency: " << yaml_number(node.scale_up.latency_s) << " s\n"
    << "scale_out:\n  efficiency: " << yaml_number(node.scale_out.efficiency) << "\n";
  if (node.scale_out.nic_bw_bytes_per_s > 0) y << "  nic_bandwidth: " << yaml_number(node.scale_out.nic_bw_bytes_per_s) << " B/s\n";
  y << "  latency_same_leaf: " << yaml_number(node.scale_out.latency_same_leaf_s) << " s\n"
    << "  latency_cross_leaf: " << yaml_number(node.scale_out.latency_cross_leaf_s) << " s\n"
    << "  planes: " << node.scale_out.planes << "\n"
    << "  leaf_switch_ports: " << node.scale_out.leaf_switch_ports << "\n"
    << "  oversubscription: " << yaml_number(node.scale_out.oversubscription) << "\n";
  return y.str();
}

std::string self_executable() {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "" : p.string();
}

}  // namespace moesim::planner::search
