// The one adapter between moesim's cluster description and SimGrid's platform API (3.32).
#include <simgrid/s4u.hpp>
#include <simgrid/version.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "sim/platform.hpp"

// SimGrid 3.35 deprecates the NetPoint forms of add_route used below (removal planned for 3.39);
// this adapter is the one place to port when the pinned version moves.
#if SIMGRID_VERSION >= 33900
#error "build_platform uses NetZone::add_route(NetPoint*...): port it to the Host-based API"
#endif

namespace moesim::sim {

namespace sg4 = simgrid::s4u;
using NetPoint = simgrid::kernel::routing::NetPoint;

namespace {

std::unique_ptr<sg4::Engine>& engine_slot() {
  static std::unique_ptr<sg4::Engine> engine;
  return engine;
}

// One undirected edge of the routing graph as two directed routes over a split-duplex link.
void connect(sg4::NetZone* zone, NetPoint* a, NetPoint* b, sg4::Link* link) {
  zone->add_route(a, b, nullptr, nullptr, {sg4::LinkInRoute(link, sg4::LinkInRoute::Direction::UP)}, false);
  zone->add_route(b, a, nullptr, nullptr, {sg4::LinkInRoute(link, sg4::LinkInRoute::Direction::DOWN)}, false);
}

// Leaf switches per plane and the ports each uses towards hosts and towards the spine.
struct FatTreeShape {
  int down_ports = 32;
  int up_ports = 32;
};

FatTreeShape fat_tree_shape(const models::ScaleOutSpec& s) {
  FatTreeShape f;
  const int ports = std::max(2, s.leaf_switch_ports);
  const double o = std::max(1.0, s.oversubscription);
  f.down_ports = std::max(1, static_cast<int>(std::floor(ports * o / (1.0 + o))));
  f.up_ports = std::max(1, ports - f.down_ports);
  return f;
}

}  // namespace

void init_engine() {
  static int argc = 2;
  static char arg0[] = "moesim";
  static char arg1[] = "--log=root.thres:critical";
  static char* argv[] = {arg0, arg1, nullptr};
  engine_slot() = std::make_unique<sg4::Engine>(&argc, argv);
  // Plain max-min without TCP corrections (DESIGN.md); collectives are L07 parallel tasks.
  sg4::Engine::set_config("network/model:CM02");
  sg4::Engine::set_config("network/crosstraffic", false);
  sg4::Engine::set_config("network/TCP-gamma", 0.0);
  sg4::Engine::set_config("host/model:ptask_L07");
}

std::vector<sg4::Host*> build_platform(const models::ClusterSpec& c, const NetworkCalibration& cal,
                                       int nodes, PlatformStats* stats) {
  if (nodes <= 0 || nodes > c.nodes) nodes = c.nodes;
  const int gpn = c.gpus_per_node;
  const int gpus = nodes * gpn;
  const int domain = std::max(1, c.scale_up.domain_gpus);
  const int planes = std::max(1, c.scale_out.planes);
  const double nvl_bw = models::scale_up_bw_one_way(c) * cal.nvlink_efficiency;
  const double nic_bw = models::scale_out_bw_one_way(c) * cal.rdma_efficiency;
  const double nvl_lat = c.scale_up.latency_s / 2;
  const double nic_lat = c.scale_out.latency_same_leaf_s / 2;
  const double up_lat = std::max(0.0, c.scale_out.latency_cross_leaf_s - c.scale_out.latency_same_leaf_s) / 2;
  const FatTreeShape ft = fat_tree_shape(c.scale_out);
  PlatformStats st;
  st.nvlink_bw_bytes_per_s = nvl_bw;
  st.nic_bw_bytes_per_s = nic_bw;

  auto* zone = sg4::create_dijkstra_zone("cluster", true);
  std::vector<sg4::Host*> hosts(gpus);
  for (int g = 0; g < gpus; ++g) hosts[g] = zone->create_host("gpu" + std::to_string(g), 1e15)->seal();
  st.hosts = gpus;
  // Scale-up: one NVSwitch star per domain.
  std::vector<NetPoint*> nvswitch((gpus + domain - 1) / domain);
  for (size_t d = 0; d < nvswitch.size(); ++d) nvswitch[d] = zone->create_router("nvswitch" + std::to_string(d));
  for (int g = 0; g < gpus; ++g) {
    auto* l = zone->create_split_duplex_link("nvl" + std::to_string(g), nvl_bw)->set_latency(nvl_lat)->seal();
    connect(zone, hosts[g]->get_netpoint(), nvswitch[g / domain], l);
  }
  st.links += gpus;
  // Scale-out: per plane, leaves of `down_ports` hosts joined by aggregated uplinks to one spine.
  for (int p = 0; p < planes; ++p) {
    std::vector<int> members;
    for (int g = 0; g < gpus; ++g)
      if ((g % gpn) % planes == p) members.push_back(g);
    if (members.empty()) continue;
    const int leaves = (static_cast<int>(members.size()) + ft.down_ports - 1) / ft.down_ports;
    NetPoint* spine = leaves > 1 ? zone->create_router("spine" + std::to_string(p)) : nullptr;
    std::vector<NetPoint*> leaf(leaves);
    for (int l = 0; l < leaves; ++l) {
      const std::string name = "leaf" + std::to_string(p) + "_" + std::to_string(l);
      leaf[l] = zone->create_router(name);
      if (spine != nullptr) {
        auto* up = zone->create_split_duplex_link(name + "_up", ft.up_ports * nic_bw)->set_latency(up_lat)->seal();
        connect(zone, leaf[l], spine, up);
        ++st.links;
      }
    }
    for (size_t i = 0; i < members.size(); ++i) {
      const int g = members[i];
      auto* nic = zone->create_split_duplex_link("nic" + std::to_string(g), nic_bw)->set_latency(nic_lat)->seal();
      connect(zone, hosts[g]->get_netpoint(), leaf[i / ft.down_ports], nic);
      ++st.links;
    }
    st.routers += leaves + (spine != nullptr ? 1 : 0);
  }
  st.routers += static_cast<int>(nvswitch.size());
  zone->seal();
  if (stats != nullptr) *stats = st;
  return hosts;
}

}  // namespace moesim::sim
