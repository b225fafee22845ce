// Spreads candidate evaluations over local threads (--jobs) and, under `mpirun`, over Open MPI
// ranks: rank r evaluates candidates i with i % size == r, then rank 0 gathers every row. Each
// evaluation writes a fixed number of doubles, so the gathered table is bit-identical to a
// single-process run. MPI is used only when the process was started by mpirun (detected from the
// environment), so a plain run never calls MPI_Init. Open MPI is loaded at run time (dlopen), so
// the build needs no MPI and a machine without libmpi simply has `mpirun` support off.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "models/result.hpp"

namespace moesim::planner::search {

struct ShardContext {
  int rank = 0;
  int size = 1;
  int jobs = 1;      // local threads
  bool mpi = false;  // MPI_Init was called (mpi_finish must be called)
  bool is_root() const { return rank == 0; }
};

// True when the environment says this process is one of several mpirun ranks.
bool launched_by_mpirun();
// Whether Open MPI's library can be loaded.
bool mpi_available();

// Initialises MPI when launched by mpirun (bad input when mpirun is used but libmpi is missing).
Result<ShardContext> start_sharding(int jobs);
void finish_sharding(const ShardContext& ctx);

// Calls fn(i, row) for every i in [0, n) assigned to this process; `row` points at `width` doubles.
// Returns the n × width table on rank 0 (other ranks: empty). REQUIRES: fn is thread-safe.
std::vector<double> evaluate_sharded(size_t n, size_t width, const std::function<void(size_t, double*)>& fn,
                                     const ShardContext& ctx, const std::function<void(size_t)>& progress = {});

}  // namespace moesim::planner::search
