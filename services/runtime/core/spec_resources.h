// The resource half of a container's spec, as Docker decides it: cgroup limits, device
// rules, rlimits from --ulimit, and the namespaced sysctls it allows.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/runtime/core/container_options.h"
#include "shim/oci/spec.h"

namespace berth::runtime {

// linux.resources memory, cpu, pids and blkio from `resources`, with Docker's checks and
// defaults: swap 0 with a memory limit is twice the limit, -1 unlimited; --cpus becomes a
// quota over a 100ms period; pids <= 0 and a swappiness of -1 leave the value unset.
absl::Status ApplyResourceLimits(const ContainerResources& resources, oci::Resources& out);

// Device rules: everything when privileged; otherwise deny all, then the devices every
// container gets (mknod of any, null, zero, full, random, urandom, tty, console, ptmx,
// pts, tun), then each --device (also added to linux.devices) and --device-cgroup-rule.
absl::Status ApplyDevices(const ContainerResources& resources, bool privileged, oci::Spec& spec);

// --ulimit → process.rlimits ("nofile" → RLIMIT_NOFILE; -1 is unlimited).
absl::StatusOr<std::vector<oci::Rlimit>> UlimitsToRlimits(const std::vector<Ulimit>& ulimits);

// Checks each sysctl is one a container's own namespaces isolate (as runc does): net.*
// unless on the host network; kernel.msg{max,mnb,mni}, kernel.sem, kernel.shm{all,max,mni},
// kernel.shm_rmid_forced and fs.mqueue.* unless on the host IPC namespace.
absl::Status ValidateSysctls(const std::map<std::string, std::string>& sysctls, bool host_network,
                             bool host_ipc);

}  // namespace berth::runtime
