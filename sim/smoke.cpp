#include "sim/smoke.hpp"

#include <simgrid/s4u.hpp>

namespace moesim::sim {

namespace sg4 = simgrid::s4u;

SmokeResult run_smoke_transfer(double bytes, double bw_bytes_per_s, double latency_s) {
  int argc = 2;
  char arg0[] = "moesim";
  char arg1[] = "--log=root.thres:critical";
  char* argv[] = {arg0, arg1, nullptr};
  sg4::Engine engine(&argc, argv);
  // CM02 without TCP corrections: plain max-min sharing, the right model for GPU fabrics.
  sg4::Engine::set_config("network/model:CM02");
  sg4::Engine::set_config("network/crosstraffic", false);
  sg4::Engine::set_config("network/TCP-gamma", 0.0);

  auto* zone = sg4::create_full_zone("smoke");
  auto* a = zone->create_host("gpu0", 1e15)->seal();
  auto* b = zone->create_host("gpu1", 1e15)->seal();
  auto* link = zone->create_link("nvlink", bw_bytes_per_s)->set_latency(latency_s)->seal();
  zone->add_route(a->get_netpoint(), b->get_netpoint(), nullptr, nullptr,
                  {sg4::LinkInRoute(link)}, true);
  zone->seal();

  SmokeResult result;
  sg4::Actor::create("sender", a, [&] {
    sg4::Comm::sendto(a, b, bytes);
    result.transfer_time_s = sg4::Engine::get_clock();
  });
  engine.run();
  return result;
}

}  // namespace moesim::sim
