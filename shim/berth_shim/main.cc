// berth-shim: owns one container for the runtime service, outliving it.
//
//   berth-shim --id <container id> --state-dir <dir> [--seccomp-cache <dir>]
//
// Binds <dir>/shim.sock (0600; <dir> is the runtime's, 0700), then leaves the runtime's
// process tree (fork, setsid, fork): the process the runtime started exits 0 once the
// socket accepts connections, or non-zero with the reason on stderr. The shim then
// serves proto/berth/shim/v1/shim.proto on one thread until Shutdown.
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/unique_fd.h"
#include "shim/berth_shim/event_loop.h"
#include "shim/berth_shim/rpc_server.h"
#include "shim/berth_shim/shim_task.h"
#include "shim/oci/seccomp.h"
#include "shim/protocol/unix_address.h"

namespace berth::shim {
namespace {

struct Flags {
  std::string id;
  std::string state_dir;
  std::string seccomp_cache;  // compiled seccomp programs, shared by the runtime's shims
};

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--id") {
      flags.id = argv[i + 1];
    } else if (name == "--state-dir") {
      flags.state_dir = argv[i + 1];
    } else if (name == "--seccomp-cache") {
      flags.seccomp_cache = argv[i + 1];
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !flags.id.empty() && !flags.state_dir.empty() &&
         flags.state_dir[0] == '/' &&
         (flags.seccomp_cache.empty() || flags.seccomp_cache[0] == '/');
}

absl::StatusOr<UniqueFd> Listen(const std::string& path) {
  absl::StatusOr<UnixAddress> address = UnixSocketAddress(path);
  if (!address.ok()) return address.status();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return absl::ErrnoToStatus(errno, "socket");
  ::unlink(path.c_str());
  const mode_t old = ::umask(0177);  // 0600 from the start, never wider
  const int bound = ::bind(fd.get(), address->get(), address->size());
  ::umask(old);
  if (bound != 0) return absl::ErrnoToStatus(errno, absl::StrCat("bind ", path));
  if (::listen(fd.get(), 64) != 0) return absl::ErrnoToStatus(errno, "listen");
  return fd;
}

// Stdio to /dev/null, stderr to <state-dir>/shim.log.
void Detach(const std::string& state_dir) {
  int null = ::open("/dev/null", O_RDWR);
  int log = ::open(absl::StrCat(state_dir, "/shim.log").c_str(),
                   O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(log >= 0 ? log : null, 2);
    if (null > 2) ::close(null);
  }
  if (log > 2) ::close(log);
  (void)!::chdir("/");
}

int Serve(const Flags& flags, UniqueFd listener) {
  sigset_t signals;
  ::sigemptyset(&signals);
  ::sigaddset(&signals, SIGCHLD);
  ::sigaddset(&signals, SIGPIPE);
  ::sigprocmask(SIG_BLOCK, &signals, nullptr);
  UniqueFd children(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  auto loop = EventLoop::Create();
  if (!children || !loop.ok()) return 1;
  RpcServer server(*loop, std::move(listener));
  ShimTask task(*loop, flags.id, flags.state_dir);
  task.Register(server);
  absl::Status ready = server.Start();
  if (ready.ok()) {
    ready = loop->Add(children.get(), EPOLLIN, [&](uint32_t) {
      signalfd_siginfo info;
      while (::read(children.get(), &info, sizeof(info)) == sizeof(info)) {
      }
      task.ReapChildren();
    });
  }
  if (!ready.ok()) {
    std::fprintf(stderr, "berth-shim %s: %s\n", flags.id.c_str(), ready.ToString().c_str());
    return 1;
  }
  absl::Status ran = loop->Run();
  ::unlink(absl::StrCat(flags.state_dir, "/shim.sock").c_str());
  if (!ran.ok()) {
    std::fprintf(stderr, "berth-shim %s: %s\n", flags.id.c_str(), ran.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace berth::shim

int main(int argc, char** argv) {
  using namespace berth::shim;
  // Whatever the starting process left open (a daemon's sockets) is not the shim's.
  ::syscall(SYS_close_range, 3u, ~0u, 0u);
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr,
                 "usage: berth-shim --id <container id> --state-dir <absolute dir> "
                 "[--seccomp-cache <absolute dir>]\n");
    return 2;
  }
  if (!flags.seccomp_cache.empty() &&
      (::mkdir(flags.seccomp_cache.c_str(), 0700) == 0 || errno == EEXIST)) {
    berth::oci::SetSeccompCacheDir(flags.seccomp_cache);
  }
  auto listener = Listen(absl::StrCat(flags.state_dir, "/shim.sock"));
  if (!listener.ok()) {
    std::fprintf(stderr, "berth-shim: %s\n", listener.status().ToString().c_str());
    return 1;
  }
  // Leave the runtime's process tree: it reaps the first process, init reaps the second.
  pid_t first = ::fork();
  if (first < 0) return 1;
  if (first > 0) {
    int status = 0;
    ::waitpid(first, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  ::setsid();
  pid_t second = ::fork();
  if (second < 0) _exit(1);
  if (second > 0) _exit(0);
  Detach(flags.state_dir);
  const std::string pid_file = absl::StrCat(flags.state_dir, "/shim.pid");
  if (FILE* out = std::fopen(pid_file.c_str(), "we")) {
    std::fprintf(out, "%d\n", ::getpid());
    std::fclose(out);
  }
  return Serve(flags, *std::move(listener));
}
