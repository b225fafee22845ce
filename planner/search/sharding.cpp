#include "planner/search/sharding.hpp"

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#ifdef MOESIM_HAVE_MPI
#include <mpi.h>
#endif

namespace moesim::planner::search {

namespace {

int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : 0;
}

// Evaluates the indices of this rank with `jobs` threads, each taking every jobs-th local index.
std::vector<double> evaluate_local(const std::vector<size_t>& indices, size_t width,
                                   const std::function<void(size_t, double*)>& fn, int jobs,
                                   const std::function<void(size_t)>& progress) {
  std::vector<double> rows(indices.size() * width, 0.0);
  std::atomic<size_t> done{0};
  auto work = [&](size_t first, size_t stride) {
    for (size_t j = first; j < indices.size(); j += stride) {
      fn(indices[j], rows.data() + j * width);
      const size_t d = ++done;
      if (progress && first == 0 && j % 256 == 0) progress(d);
    }
  };
  const size_t threads = static_cast<size_t>(std::max(1, jobs));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work, t, threads);
  work(0, threads);
  for (auto& t : pool) t.join();
  if (progress) progress(indices.size());
  return rows;
}

}  // namespace

bool launched_by_mpirun() {
  return env_int("OMPI_COMM_WORLD_SIZE") > 1 || env_int("PMI_SIZE") > 1 || env_int("PMIX_SIZE") > 1;
}

bool mpi_available() {
#ifdef MOESIM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

Result<ShardContext> start_sharding(int jobs) {
  ShardContext ctx;
  ctx.jobs = std::max(1, jobs);
  if (!launched_by_mpirun()) return ctx;
#ifdef MOESIM_HAVE_MPI
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) MPI_Init(nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, &ctx.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ctx.size);
  ctx.mpi = true;
  return ctx;
#else
  return bad_input("started by mpirun, but this moesim was built without MPI (install libopenmpi-dev and rebuild)");
#endif
}

void finish_sharding(const ShardContext& ctx) {
#ifdef MOESIM_HAVE_MPI
  if (ctx.mpi) MPI_Finalize();
#else
  (void)ctx;
#endif
}

std::vector<double> evaluate_sharded(size_t n, size_t width, const std::function<void(size_t, double*)>& fn,
                                     const ShardContext& ctx, const std::function<void(size_t)>& progress) {
  std::vector<size_t> mine;
  for (size_t i = static_cast<size_t>(ctx.rank); i < n; i += static_cast<size_t>(ctx.size)) mine.push_back(i);
  std::vector<double> local = evaluate_local(mine, width, fn, ctx.jobs, progress);
  if (ctx.size == 1) return local;
#ifdef MOESIM_HAVE_MPI
  std::vector<int> counts(static_cast<size_t>(ctx.size)), displs(static_cast<size_t>(ctx.size));
  for (int r = 0; r < ctx.size; ++r) {
    const size_t rows = n > static_cast<size_t>(r) ? (n - static_cast<size_t>(r) + ctx.size - 1) / ctx.size : 0;
    counts[static_cast<size_t>(r)] = static_cast<int>(rows * width);
    displs[static_cast<size_t>(r)] = r == 0 ? 0 : displs[static_cast<size_t>(r - 1)] + counts[static_cast<size_t>(r - 1)];
  }
  std::vector<double> gathered(ctx.is_root() ? n * width : 0);
  MPI_Gatherv(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, gathered.data(), counts.data(), displs.data(),
              MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (!ctx.is_root()) return {};
  // Rank r's j-th row is candidate r + j * size.
  std::vector<double> table(n * width);
  for (int r = 0; r < ctx.size; ++r) {
    const size_t rows = static_cast<size_t>(counts[static_cast<size_t>(r)]) / width;
    for (size_t j = 0; j < rows; ++j) {
      const size_t i = static_cast<size_t>(r) + j * static_cast<size_t>(ctx.size);
      std::copy_n(gathered.begin() + displs[static_cast<size_t>(r)] + static_cast<std::ptrdiff_t>(j * width), width,
                  table.begin() + static_cast<std::ptrdiff_t>(i * width));
    }
  }
  return table;
#else
  return local;
#endif
}

}  // namespace moesim::planner::search
