#include "planner/search/sharding.hpp"

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include <dlfcn.h>

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

// Open MPI, loaded at run time. libsimgrid (linked for sim/) exports its own SMPI `MPI_*`
// symbols, so a link-time `MPI_Init` would bind to SimGrid's; dlsym on libmpi's handle cannot.
// MPI_COMM_WORLD and MPI_DOUBLE are Open MPI's predefined objects (`&ompi_mpi_comm_world`, ...).
struct OpenMpi {
  void* lib = nullptr;
  int (*init)(int*, char***) = nullptr;
  int (*initialized)(int*) = nullptr;
  int (*finalize)() = nullptr;
  int (*comm_rank)(void*, int*) = nullptr;
  int (*comm_size)(void*, int*) = nullptr;
  int (*gatherv)(const void*, int, void*, void*, const int*, const int*, void*, int, void*) = nullptr;
  void* comm_world = nullptr;
  void* mpi_double = nullptr;
  bool ok() const { return init && initialized && finalize && comm_rank && comm_size && gatherv && comm_world && mpi_double; }
};

const OpenMpi& open_mpi() {
  static const OpenMpi api = [] {
    OpenMpi m;
    for (const char* name : {"libmpi.so.40", "libmpi.so"}) {
      m.lib = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
      if (m.lib) break;
    }
    if (!m.lib) return m;
    auto sym = [&](const char* n) { return dlsym(m.lib, n); };
    m.init = reinterpret_cast<int (*)(int*, char***)>(sym("MPI_Init"));
    m.initialized = reinterpret_cast<int (*)(int*)>(sym("MPI_Initialized"));
    m.finalize = reinterpret_cast<int (*)()>(sym("MPI_Finalize"));
    m.comm_rank = reinterpret_cast<int (*)(void*, int*)>(sym("MPI_Comm_rank"));
    m.comm_size = reinterpret_cast<int (*)(void*, int*)>(sym("MPI_Comm_size"));
    m.gatherv = reinterpret_cast<int (*)(const void*, int, void*, void*, const int*, const int*, void*, int, void*)>(
        sym("MPI_Gatherv"));
    m.comm_world = sym("ompi_mpi_comm_world");
    m.mpi_double = sym("ompi_mpi_double");
    return m;
  }();
  return api;
}

bool mpi_available() { return open_mpi().ok(); }

Result<ShardContext> start_sharding(int jobs) {
  ShardContext ctx;
  ctx.jobs = std::max(1, jobs);
  if (!launched_by_mpirun()) return ctx;
  const OpenMpi& mpi = open_mpi();
  if (!mpi.ok()) return bad_input("started by mpirun, but Open MPI's libmpi.so.40 could not be loaded (install libopenmpi3)");
  int initialized = 0;
  mpi.initialized(&initialized);
  if (!initialized) mpi.init(nullptr, nullptr);
  mpi.comm_rank(mpi.comm_world, &ctx.rank);
  mpi.comm_size(mpi.comm_world, &ctx.size);
  ctx.mpi = true;
  return ctx;
}

void finish_sharding(const ShardContext& ctx) {
  if (ctx.mpi) open_mpi().finalize();
}

std::vector<double> evaluate_sharded(size_t n, size_t width, const std::function<void(size_t, double*)>& fn,
                                     const ShardContext& ctx, const std::function<void(size_t)>& progress) {
  std::vector<size_t> mine;
  for (size_t i = static_cast<size_t>(ctx.rank); i < n; i += static_cast<size_t>(ctx.size)) mine.push_back(i);
  std::vector<double> local = evaluate_local(mine, width, fn, ctx.jobs, progress);
  if (ctx.size == 1 || !ctx.mpi) return local;
  const OpenMpi& mpi = open_mpi();
  std::vector<int> counts(static_cast<size_t>(ctx.size)), displs(static_cast<size_t>(ctx.size));
  for (int r = 0; r < ctx.size; ++r) {
    const size_t rows = n > static_cast<size_t>(r) ? (n - static_cast<size_t>(r) + ctx.size - 1) / ctx.size : 0;
    counts[static_cast<size_t>(r)] = static_cast<int>(rows * width);
    displs[static_cast<size_t>(r)] = r == 0 ? 0 : displs[static_cast<size_t>(r - 1)] + counts[static_cast<size_t>(r - 1)];
  }
  std::vector<double> gathered(ctx.is_root() ? n * width : 0);
  mpi.gatherv(local.data(), static_cast<int>(local.size()), mpi.mpi_double, gathered.data(), counts.data(),
              displs.data(), mpi.mpi_double, 0, mpi.comm_world);
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
}

}  // namespace moesim::planner::search
