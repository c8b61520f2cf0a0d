// Starting a container's init: clone() into new (or joined) namespaces, set up its
// root file system, identity and limits, and exec its process. Errors from the child
// come back over a CLOEXEC pipe; nothing is allocated between clone() and exec().
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "shim/oci/spec.h"

namespace berth::oci {

struct LaunchOptions {
  bool no_pivot = false;  // chroot instead of pivot_root (runc's --no-pivot)
};

// Returns the pid of the container's init (in the caller's pid namespace) once its
// process has been exec'd.
absl::StatusOr<pid_t> LaunchContainer(const Spec& spec, const std::string& bundle,
                                      const LaunchOptions& options);

// A waitpid status as a shell would report it: the exit code, or 128 + signal.
int ExitCodeFromWaitStatus(int status);

}  // namespace berth::oci
