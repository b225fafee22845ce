// A tiny SimGrid run that proves the library links and behaves: two GPUs, one link, one transfer.
#pragma once

namespace moesim::sim {

struct SmokeResult {
  double transfer_time_s = 0;  // simulated time to move the bytes
};

// Sends `bytes` over one link of `bw_bytes_per_s` and `latency_s` in a fresh SimGrid engine.
// REQUIRES: no other SimGrid engine has been created in this process.
SmokeResult run_smoke_transfer(double bytes, double bw_bytes_per_s, double latency_s);

}  // namespace moesim::sim
