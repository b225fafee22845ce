// The `locality` policy (see locality.hpp for the steps).
#include "planner/locality.hpp"

#include <boost/graph/adjacency_list.hpp>

#include <algorithm>
#include <functional>
#include <map>

#include "planner/balanced.hpp"

namespace moesim::planner {
namespace {

using CoactivationGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                                                boost::property<boost::edge_weight_t, double>>;

// Step 2: one vertex per expert, edge weight = tokens of this layer that chose both endpoints.
CoactivationGraph coactivation_graph(const std::vector<int>& choices, int top_k, int experts) {
  std::map<std::pair<int, int>, double> weight;
  for (size_t t = 0; t + top_k <= choices.size(); t += top_k) {
    for (int i = 0; i < top_k; ++i) {
      for (int j = i + 1; j < top_k; ++j) {
        const int a = std::min(choices[t + i], choices[t + j]), b = std::max(choices[t + i], choices[t + j]);
        weight[{a, b}] += 1;
      }
    }
  }
  CoactivationGraph g(experts);
  for (const auto& [edge, w] : weight) boost::add_edge(edge.first, edge.second, w, g);
  return g;
}

double edge_weight(const CoactivationGraph& g, int x, int y) {
  const auto [e, found] = boost::edge(x, y, g);
  return found ? boost::get(boost::edge_weight, g, e) : 0.0;
}

struct LayerState {
  std::vector<int> p2l;
  std::vector<int> count;                     // replicas per expert
  std::vector<double> gpu_load;
  std::vector<std::vector<double>> affinity;  // [expert][node]: co-activation with the node's experts
};

// Adds `sign` × the co-activation of x to every neighbour's affinity for `node`.
void spread_affinity(const CoactivationGraph& g, int x, int node, double sign, LayerState* s) {
  const auto weight = boost::get(boost::edge_weight, g);
  for (auto [it, end] = boost::out_edges(x, g); it != end; ++it) {
    s->affinity[boost::target(*it, g)][node] += sign * weight[*it];
  }
}

LayerState make_state(const std::vector<int>& p2l, const std::vector<double>& load, const PlacementSpec& spec,
                      const CoactivationGraph& g) {
  const int experts = static_cast<int>(load.size()), per_node = spec.replicas / spec.nodes;
  LayerState s{p2l, std::vector<int>(experts, 0), gpu_loads(p2l, load, spec),
               std::vector<std::vector<double>>(experts, std::vector<double>(spec.nodes, 0.0))};
  std::vector<std::vector<char>> on_node(experts, std::vector<char>(spec.nodes, 0));
  for (int p = 0; p < spec.replicas; ++p) {
    ++s.count[p2l[p]];
    on_node[p2l[p]][p / per_node] = 1;
  }
  for (int e = 0; e < experts; ++e) {
    for (int k = 0; k < spec.nodes; ++k) {
      if (on_node[e][k]) spread_affinity(g, e, k, +1, &s);
    }
  }
  return s;
}

// Step 3 for one expert x (single replica at slot px): the best feasible swap onto another node.
bool try_move(int px, const CoactivationGraph& g, const std::vector<double>& load, const PlacementSpec& spec, double cap,
              LayerState* s) {
  const int per_node = spec.replicas / spec.nodes, per_gpu = slots_per_gpu(spec);
  const int x = s->p2l[px], home = px / per_node;
  const auto& ax = s->affinity[x];
  double best_gain = 1e-9;
  int best_slot = -1;
  for (int py = 0; py < spec.replicas; ++py) {
    const int y = s->p2l[py], there = py / per_node;
    if (there == home || s->count[y] != 1 || ax[there] <= ax[home]) continue;
    const auto& ay = s->affinity[y];
    const double d = load[x] - load[y];
    double gain = ax[there] - ax[home] + ay[home] - ay[there];
    if (gain <= best_gain || s->gpu_load[px / per_gpu] - d > cap || s->gpu_load[py / per_gpu] + d > cap) continue;
    gain -= 2 * edge_weight(g, x, y);  // x and y stop sharing a node (looked up last: O(degree))
    if (gain > best_gain) best_gain = gain, best_slot = py;
  }
  if (best_slot < 0) return false;
  const int y = s->p2l[best_slot], there = best_slot / per_node;
  const double d = load[x] - load[y];
  s->gpu_load[px / per_gpu] -= d;
  s->gpu_load[best_slot / per_gpu] += d;
  std::swap(s->p2l[px], s->p2l[best_slot]);
  spread_affinity(g, x, home, -1, s), spread_affinity(g, x, there, +1, s);
  spread_affinity(g, y, there, -1, s), spread_affinity(g, y, home, +1, s);
  return true;
}

double layer_traffic(const std::vector<int>& p2l, const std::vector<int>& choices, int top_k, const PlacementSpec& spec);

// Hierarchical shapes: co-activation between groups (token pairs with one expert in each).
std::vector<std::vector<double>> group_coactivation(const CoactivationGraph& g, int groups, int group_size) {
  std::vector<std::vector<double>> w(groups, std::vector<double>(groups, 0.0));
  const auto weight = boost::get(boost::edge_weight, g);
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    const int a = static_cast<int>(boost::source(*it, g)) / group_size, b = static_cast<int>(boost::target(*it, g)) / group_size;
    if (a != b) w[a][b] += weight[*it], w[b][a] += weight[*it];
  }
  return w;
}

// Visits every equal-cardinality partition of groups onto nodes once (each node anchored on its
// lowest group), at most `limit` of them.
void for_each_partition(int groups, int nodes, int limit, const std::function<void(const std::vector<int>&)>& visit) {
  std::vector<int> node_of(groups, -1);
  const int per = groups / nodes;
  int visited = 0;
  std::function<void(int, int, int)> fill = [&](int node, int from, int left) {
    if (visited >= limit) return;
    if (left == 0) {
      if (node + 1 == nodes) {
        ++visited;
        visit(node_of);
        return;
      }
      const int first = static_cast<int>(std::find(node_of.begin(), node_of.end(), -1) - node_of.begin());
      node_of[first] = node + 1;
      fill(node + 1, first + 1, per - 1);
      node_of[first] = -1;
      return;
    }
    for (int g = from; g < groups; ++g) {
      if (node_of[g] >= 0) continue;
      node_of[g] = node;
      fill(node, g + 1, left - 1);
      node_of[g] = -1;
    }
  };
  node_of[0] = 0;
  fill(0, 1, per - 1);
}

// Hierarchical step 3: among group partitions whose heaviest node stays within the slack of the
// best one, the one with the most co-activation inside nodes; repacked with balanced's steps 2-5.
std::vector<int> hierarchical_locality_layer(const std::vector<double>& load, const CoactivationGraph& g,
                                             const PlacementSpec& spec, double slack) {
  const int group_size = static_cast<int>(load.size()) / spec.groups;
  const auto w = group_coactivation(g, spec.groups, group_size);
  std::vector<double> group_load(spec.groups, 0.0);
  for (size_t e = 0; e < load.size(); ++e) group_load[e / group_size] += load[e];
  std::vector<std::pair<double, double>> scored;  // (heaviest node, co-activation inside nodes)
  std::vector<std::vector<int>> partitions;
  for_each_partition(spec.groups, spec.nodes, 20000, [&](const std::vector<int>& node_of) {
    std::vector<double> node_load(spec.nodes, 0.0);
    double inside = 0;
    for (int a = 0; a < spec.groups; ++a) {
      node_load[node_of[a]] += group_load[a];
      for (int b = a + 1; b < spec.groups; ++b) inside += node_of[a] == node_of[b] ? w[a][b] : 0.0;
    }
    scored.emplace_back(*std::max_element(node_load.begin(), node_load.end()), inside);
    partitions.push_back(node_of);
  });
  double lightest = scored[0].first;
  for (const auto& s : scored) lightest = std::min(lightest, s.first);
  size_t best = 0;
  for (size_t i = 0; i < scored.size(); ++i) {
    const bool fits = scored[i].first <= (1 + slack) * lightest;
    if (fits && (scored[best].first > (1 + slack) * lightest || scored[i].second > scored[best].second)) best = i;
  }
  return place_domains(load, domains_for_partition(partitions[best], static_cast<int>(load.size()), spec), spec);
}

}  // namespace

double cross_node_bytes_per_token(const PlacementPlan& plan, const RoutingTrace& trace, const PlacementSpec& spec,
                                  const TrafficSpec& traffic) {
  double remote_nodes = 0;
  for (size_t l = 0; l < trace.choices.size() && l < plan.physical_to_logical.size(); ++l) {
    remote_nodes += layer_traffic(plan.physical_to_logical[l], trace.choices[l], trace.top_k, spec);
  }
  return remote_nodes * traffic.token_bytes;
}

namespace {

// Mean remote nodes per token of one layer, averaged over the token's source node.
double layer_traffic(const std::vector<int>& p2l, const std::vector<int>& choices, int top_k, const PlacementSpec& spec) {
  const int per_node = spec.replicas / spec.nodes;
  const int experts = *std::max_element(p2l.begin(), p2l.end()) + 1;
  std::vector<std::vector<int>> nodes_of(experts);
  for (int p = 0; p < spec.replicas; ++p) {
    auto& v = nodes_of[p2l[p]];
    if (std::find(v.begin(), v.end(), p / per_node) == v.end()) v.push_back(p / per_node);
  }
  const size_t tokens = choices.size() / top_k;
  if (tokens == 0) return 0;
  double remote = 0;
  std::vector<char> used(spec.nodes);
  for (size_t t = 0; t < tokens; ++t) {
    for (int source = 0; source < spec.nodes; ++source) {
      std::fill(used.begin(), used.end(), 0);
      used[source] = 1;
      int count = 0;
      for (int j = 0; j < top_k; ++j) {
        const auto& v = nodes_of[choices[t * top_k + j]];
        if (std::any_of(v.begin(), v.end(), [&](int n) { return used[n]; })) continue;
        used[v.front()] = 1;
        ++count;
      }
      remote += count;
    }
  }
  return remote / (static_cast<double>(tokens) * spec.nodes);
}

}  // namespace

PlacementPlan place_locality(const LoadMatrix& loads, const RoutingTrace& trace, const PlacementSpec& spec, double load_slack) {
  PlacementPlan plan = place_balanced(loads, spec);  // Step 1.
  if (spec.nodes == 1) return plan;
  for (size_t l = 0; l < loads.size() && l < trace.choices.size(); ++l) {
    const CoactivationGraph g = coactivation_graph(trace.choices[l], trace.top_k, static_cast<int>(loads[l].size()));
    LayerState s = make_state(plan.physical_to_logical[l], loads[l], spec, g);
    const double cap = (1 + load_slack) * *std::max_element(s.gpu_load.begin(), s.gpu_load.end());
    std::vector<int> candidate;
    if (is_hierarchical(spec)) {
      candidate = hierarchical_locality_layer(loads[l], g, spec, load_slack);
      const auto per_gpu = gpu_loads(candidate, loads[l], spec);
      if (*std::max_element(per_gpu.begin(), per_gpu.end()) > cap) continue;
    } else {
      for (int pass = 0; pass < 4; ++pass) {
        bool moved = false;
        for (int p = 0; p < spec.replicas; ++p) {
          if (s.count[s.p2l[p]] == 1) moved |= try_move(p, g, loads[l], spec, cap, &s);
        }
        if (!moved) break;
      }
      candidate = s.p2l;
    }
    // Step 4.
    const double before = layer_traffic(plan.physical_to_logical[l], trace.choices[l], trace.top_k, spec);
    if (layer_traffic(candidate, trace.choices[l], trace.top_k, spec) < before) plan.physical_to_logical[l] = candidate;
  }
  fill_logical_maps(&plan, spec, loads.empty() ? 0 : static_cast<int>(loads[0].size()));
  return plan;
}

}  // namespace moesim::planner
