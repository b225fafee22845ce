#include "sim/run_isolated.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace moesim::sim {

namespace {

bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool read_all(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

Error internal(const std::string& what) { return {ErrorKind::kInternal, "simulation child process: " + what}; }

}  // namespace

Result<std::vector<double>> run_isolated(const std::function<std::vector<double>()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) return internal(std::string("pipe failed: ") + std::strerror(errno));
  std::fflush(nullptr);  // do not duplicate buffered output into the child
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return internal(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
    int code = 0;
    try {
      const std::vector<double> out = fn();
      const uint64_t n = out.size();
      if (!write_all(fds[1], &n, sizeof n) || !write_all(fds[1], out.data(), n * sizeof(double))) code = 1;
    } catch (...) {
      code = 2;
    }
    ::close(fds[1]);
    ::_exit(code);  // skip atexit handlers and static destructors of the parent's state
  }
  ::close(fds[1]);
  uint64_t n = 0;
  std::vector<double> out;
  bool ok = read_all(fds[0], &n, sizeof n) && n < (uint64_t{1} << 32);
  if (ok) {
    out.resize(n);
    ok = read_all(fds[0], out.data(), n * sizeof(double));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) return internal("killed by signal " + std::to_string(WTERMSIG(status)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return internal("exited with status " + std::to_string(WEXITSTATUS(status)));
  if (!ok) return internal("returned a short answer");
  return out;
}

}  // namespace moesim::sim
