// linux.seccomp as a BPF program: compiled with libseccomp in the parent, installed by
// the container's child with one seccomp(2) call and no allocation.
#pragma once

#include <linux/filter.h>

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

// Installs `program` in the calling process; safe between clone() and exec(). Without
// no_new_privs the caller needs CAP_SYS_ADMIN. Returns 0, or with `notify` the listener
// fd (CLOEXEC; handing it to linux.seccomp.listenerPath is not done yet, so the caller
// closes it), or -errno with `error` filled in.
int InstallSeccomp(const SeccompProgram& program, ChildError* error);

}  // namespace berth::oci
