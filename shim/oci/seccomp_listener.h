// linux.seccomp.listenerPath: the listener fd of a filter with SCMP_ACT_NOTIFY rules goes
// to the agent listening there, with the runtime-spec's containerProcessState, as runc
// sends it: one message on a unix stream socket, the fd attached with SCM_RIGHTS.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "shim/oci/spec.h"
#include "shim/oci/state.h"

namespace berth::oci {

// The container a process belongs to, as the state sent with its listener names it.
struct ContainerIdentity {
  std::string id;
  std::string bundle;
};

// Takes a listener fd from the process with pid `pid` and passes it on.
using SeccompListenerSink = std::function<absl::Status(pid_t pid, int listener_fd)>;

// With linux.seccomp.listenerPath in `spec`: a sink that sends a listener there with the
// container's state (`init_pid` in it, or the sending process' own pid when 0, i.e. for
// the init itself). Empty without a listenerPath.
SeccompListenerSink ListenerStateSender(const Spec& spec, const ContainerIdentity& container,
                                        ContainerStatus status, pid_t init_pid);

// containerProcessState: ociVersion, fds (["seccompFd"]), pid (`process_pid`, the process
// that made the listener), metadata (when not empty) and state (ociVersion, id, status,
// pid (the init's), bundle and annotations, when there are some).
std::string ContainerProcessStateJson(int process_pid, const State& state,
                                      const std::string& metadata);

// Connects to `listener_path` and sends `state_json` with `listener_fd` attached.
absl::Status SendSeccompListener(const std::string& listener_path, const std::string& state_json,
                                 int listener_fd);

// The container's child hands the listener fd to the runtime that launched it over a
// socketpair: one byte with the fd attached. Safe between clone() and exec() (no
// allocation); 0 or -errno.
int SendListenerFdRaw(int socket, int listener_fd);

// The runtime's end: the fd SendListenerFdRaw sent (CLOEXEC).
absl::StatusOr<UniqueFd> ReceiveListenerFd(int socket);

}  // namespace berth::oci
