// linux.seccomp as a BPF program: compiled with libseccomp in the parent, installed by
// the container's child with one seccomp(2) call and no allocation.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shim/oci/child_error.h"
#include "shim/oci/spec.h"

namespace berth::oci {

struct SeccompProgram {
  std::vector<sock_filter> filter;
  unsigned int flags = 0;  // SECCOMP_FILTER_FLAG_*, from linux.seccomp.flags
  bool notify = false;     // some rule is SCMP_ACT_NOTIFY: the install makes a listener fd
};

// Builds the filter: the default action, the listed architectures (the native one is
// always there), one rule per syscall name. Names this libseccomp does not know are
// skipped, as runc does (the kernel may lack them); an unknown action, operator,
// architecture or flag is InvalidArgument naming its field, e.g.
// "linux.seccomp.syscalls[3].action: ...".
absl::StatusOr<SeccompProgram> CompileSeccomp(const Seccomp& spec);

// Where CompileSeccomp keeps what it compiled for the processes after this one (every shim
// compiles the same profile, about 10 ms of libseccomp each): one file per program, named
// by a hash of everything the compile depends on (linux.seccomp, libseccomp's version and
// the kernel API level it detected) and holding that whole key, so only an exact match is
// used. The directory must be as trusted as the binary. Empty (the default): no cache.
void SetSeccompCacheDir(std::string dir);

// Installs `program` in the calling process; safe between clone() and exec(). Without
// no_new_privs the caller needs CAP_SYS_ADMIN. Returns 0, or with `notify` the listener
// fd (CLOEXEC; the caller hands it to linux.seccomp.listenerPath, seccomp_listener.h), or
// -errno with `error` filled in.
int InstallSeccomp(const SeccompProgram& program, ChildError* error);

}  // namespace berth::oci
