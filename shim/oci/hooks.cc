#include "shim/oci/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/argv.h"
#include "common/unique_fd.h"

namespace berth::oci {
namespace {

// The namespaces a hook joins, opened by the parent (user first, as setns needs).
struct HookNamespaces {
  std::vector<UniqueFd> fds;
  bool pid = false;  // the pid namespace is among them
};

HookNamespaces OpenNamespaces(pid_t pid) {
  HookNamespaces namespaces;
  for (const char* ns : {"user", "ipc", "uts", "net", "pid", "cgroup", "mnt"}) {
    std::string path = absl::StrCat("/proc/", pid, "/ns/", ns);
    std::string self = absl::StrCat("/proc/self/ns/", ns);
    char a[64] = {}, b[64] = {};
    // Joining one's own namespace is refused for user namespaces: skip those we share.
    if (::readlink(path.c_str(), a, sizeof(a) - 1) > 0 &&
        ::readlink(self.c_str(), b, sizeof(b) - 1) > 0 && std::string(a) == b) {
      continue;
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) continue;
    namespaces.fds.push_back(std::move(fd));
    if (std::string(ns) == "pid") namespaces.pid = true;
  }
  return namespaces;
}

// After setns into a pid namespace only the caller's children are in it: the hook runs
// as a child of this process, which waits and exits as the hook did. (The process group
// the parent kills on a timeout holds both.)
void ForkIntoPidNamespace() {
  pid_t hook = ::fork();
  if (hook < 0) _exit(126);
  if (hook == 0) return;
  int status = 0;
  while (::waitpid(hook, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  _exit(128 + WTERMSIG(status));
}

absl::Status RunHook(const Hook& hook, absl::string_view phase, const std::string& state_json,
                     pid_t join_pid) {
  std::vector<std::string> args =
      hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<char*> argv = ArgvPointers(args);
  std::vector<char*> envp = ArgvPointers(hook.env);
  HookNamespaces namespaces;
  if (join_pid > 0) namespaces = OpenNamespaces(join_pid);
  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe");
  UniqueFd read_end(in[0]), write_end(in[1]);
  pid_t pid = ::fork();
  if (pid < 0) return absl::ErrnoToStatus(errno, "fork");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(read_end.get(), 0);
    for (const UniqueFd& ns : namespaces.fds) {
      if (::setns(ns.get(), 0) != 0) _exit(126);
    }
    // Nothing of the runtime's beyond stdio stays open: the process that waits for a
    // hook in a pid namespace never execs, and holding the stdin pipe's write end or the
    // container's sync pipe would keep the hook, or the init, waiting for ever.
    ::close_range(3, ~0U, 0);
    if (namespaces.pid) ForkIntoPidNamespace();
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  ::setpgid(pid, pid);  // as the child does: whichever runs first
  read_end.Reset();
  // The state goes in whole or the hook sees EOF early; a hook need not read it.
  ::signal(SIGPIPE, SIG_IGN);
  (void)!::write(write_end.get(), state_json.data(), state_json.size());
  write_end.Reset();

  auto deadline = hook.timeout.has_value()
                      ? std::chrono::steady_clock::now() + std::chrono::seconds(*hook.timeout)
                      : std::chrono::steady_clock::time_point::max();
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);  // the hook and, in a pid namespace, the process waiting on it
      ::waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(
          absl::StrCat(phase, " hook ", hook.path, " timed out after ", *hook.timeout, "s"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return absl::FailedPreconditionError(
      absl::StrCat(phase, " hook ", hook.path, " exited with ", code));
}

}  // namespace

absl::Status RunHooks(const std::vector<Hook>& hooks, absl::string_view phase,
                      const std::string& state_json, pid_t join_pid) {
  for (const Hook& hook : hooks) {
    if (absl::Status s = RunHook(hook, phase, state_json, join_pid); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace berth::oci
