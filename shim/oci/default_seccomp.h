// Docker's default seccomp profile (moby's profiles/seccomp), as a linux.seccomp value
// berth can put in a spec it generates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shim/oci/spec.h"

namespace berth::oci {

// The 14 capabilities Docker gives a container by default.
const std::vector<std::string>& DockerDefaultCapabilities();

// The profile for a container whose bounding set is `capabilities`: whatever is not
// allowed fails with EPERM; a large allow list; personality only for the usual
// personas; clone without namespace flags (and clone3 failing with ENOSYS, so libc falls
// back to clone) unless CAP_SYS_ADMIN; the calls a capability guards (mount, reboot,
// ptrace, …) only with that capability. Architectures: the native one and those it also
// runs (x86_64: x86 and x32).
Seccomp DockerDefaultSeccomp(const std::vector<std::string>& capabilities);

// One linux.seccomp.syscalls entry.
Syscall SyscallRule(std::vector<std::string> names, std::string action,
                    std::optional<uint32_t> errno_ret = std::nullopt,
                    std::vector<SyscallArg> args = {});

// The profile for DockerDefaultCapabilities().
Seccomp DockerDefaultSeccomp();

}  // namespace berth::oci
