// linux.seccomp.listenerPath: the listener fd of a filter with SCMP_ACT_NOTIFY rules goes
// to the agent listening there, with the runtime-spec's containerProcessState, as runc
// sends it: one message on a unix stream socket, the fd attached with SCM_RIGHTS.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "shim/oci/state.h"

namespace berth::oci {

// containerProcessState: ociVersion, fds (["seccompFd"]), pid, metadata (when not empty)
// and state (ociVersion, id, status, pid, bundle and annotations, when there are some).
std::string ContainerProcessStateJson(const State& state, const std::string& metadata);

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
