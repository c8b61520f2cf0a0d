// The example configuration `runc spec` writes, as a Spec.
#pragma once

#include "shim/oci/spec.h"

namespace berth::oci {

// `runc spec` (rootless = false) or `runc spec --rootless`: sh on a terminal in
// ./rootfs (read-only), the three default capabilities, RLIMIT_NOFILE 1024, the standard
// /proc, /dev, /sys and cgroup mounts, masked and read-only paths, and new pid, network,
// ipc, uts, mount and cgroup namespaces. Rootless adds a user namespace mapping root to
// the caller's effective uid and gid, drops the network namespace, bind-mounts /sys,
// removes uid=/gid= mount options and the device cgroup rules.
Spec DefaultSpec(bool rootless);

}  // namespace berth::oci
