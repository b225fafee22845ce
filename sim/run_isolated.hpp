// SimGrid allows one Engine per process. Every public simulation entry point of sim/ therefore runs
// its SimGrid part in a forked child process and gets the numbers back through a pipe, so callers
// (tests, the planner) may simulate as often as they like from one process.
#pragma once

#include <functional>
#include <vector>

#include "models/result.hpp"

namespace moesim::sim {

// Runs `fn` in a child process and returns the doubles it produced. A child that crashes, is killed
// or writes a short answer yields an internal error naming what happened.
Result<std::vector<double>> run_isolated(const std::function<std::vector<double>()>& fn);

}  // namespace moesim::sim
