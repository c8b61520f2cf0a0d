// Starting a container's init: clone() into new (or joined) namespaces, set up its
// root file system, identity and limits, and exec its process. Errors from the child
// come back over a CLOEXEC pipe; nothing is allocated between clone() and exec().
#pragma once

#include <sys/types.h>

#include <array>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "shim/oci/cgroups/cgroup.h"
#include "shim/oci/seccomp_listener.h"
#include "shim/oci/spec.h"

namespace berth::oci {

// Stdio fds for a new process: -1 inherits the caller's.
inline constexpr std::array<int, 3> kInheritStdio = {-1, -1, -1};

struct LaunchOptions {
  std::string container_id;  // names the cgroup when linux.cgroupsPath is empty
  bool no_pivot = false;     // chroot instead of pivot_root (runc's --no-pivot)
  // runc's create/start split: when >= 0, an O_PATH fd of a fifo. The init finishes its
  // setup, reports ready (LaunchContainer returns), then blocks opening the fifo for
  // writing until `start` reads it, and only then execs.
  int exec_fifo_fd = -1;
  // With process.terminal: a connected unix socket the pty's master is sent to.
  int console_socket = -1;
  // runc's --preserve-fds: the caller's fds 3 .. 3+n-1 are passed to the process.
  unsigned preserve_fds = 0;
  // The process' stdin, stdout and stderr (e.g. pipes a shim holds the other ends of);
  // a terminal's pty replaces them.
  std::array<int, 3> stdio = kInheritStdio;
  // runc's default: the init joins a new session keyring "_ses.<container_id>" instead of
  // keeping the caller's (runc's --no-new-keyring clears it).
  bool new_session_keyring = true;
  // Run by the parent once the init has made its mounts and before its pivot_root, with
  // the init's pid (prestart, createRuntime and createContainer hooks); an error stops
  // the launch.
  std::function<absl::Status(pid_t)> before_pivot;
};

struct LaunchedContainer {
  pid_t pid = -1;            // the container's init, in the caller's pid namespace
  std::string cgroups_path;  // linux.cgroupsPath, or the container id when it is empty
  // Owns the cgroup's directories: Destroy() once the container is gone.
  std::unique_ptr<Cgroup> cgroup;
  // With an exec fifo: the read end of the init's error pipe, where a failure after
  // `start` (exec itself) arrives; EOF once the exec happened.
  UniqueFd exec_errors;
};

// Starts `process` inside the running container whose init is `init_pid`: every one of
// its namespaces joined, placed in its cgroup, the container spec's limits, seccomp
// and defaults applied. Returns once the process has been exec'd. A seccomp listener
// goes to linux.seccomp.listenerPath with `container`'s state ("running"); without an
// id it is closed (notified calls fail with ENOSYS).
absl::StatusOr<pid_t> LaunchExec(const Spec& container_spec, pid_t init_pid, const Process& process,
                                 Cgroup& cgroup, int console_socket = -1,
                                 const std::array<int, 3>& stdio = kInheritStdio,
                                 const ContainerIdentity& container = {});

// Waits on LaunchedContainer::exec_errors: OK once the process was exec'd, else the
// init's error.
absl::Status AwaitExec(UniqueFd& exec_errors);

// For `start` in another process than `create`: after the init's byte, reads on from the
// exec fifo (non-blocking, opened for reading): EOF once the init exec'd, else why its
// exec failed. `init_alive` is asked between waits of 100 ms.
absl::Status AwaitExecOnFifo(int fifo_fd, const std::function<bool()>& init_alive);

// Places the container's init in its cgroup (limits applied) before any of its setup
// runs, and returns once its process has been exec'd (or, with an exec fifo, once it
// waits on it).
absl::StatusOr<LaunchedContainer> LaunchContainer(const Spec& spec, const std::string& bundle,
                                                  const LaunchOptions& options);

// A waitpid status as a shell would report it: the exit code, or 128 + signal.
int ExitCodeFromWaitStatus(int status);

}  // namespace berth::oci
