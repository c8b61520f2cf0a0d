// Carries out a RootfsPlan in the container's new mount namespace, between clone() and
// exec(): no allocation, errors as ChildError.
#pragma once

#include "shim/oci/child_error.h"
#include "shim/oci/rootfs_plan.h"
#include "shim/oci/syscalls.h"

namespace berth::oci {

// Called once the mounts are made and before pivot_root (the createRuntime and
// createContainer hooks' moment); returns 0 or -errno. Must not allocate.
struct BeforePivot {
  int (*call)(void* arg, ChildError* error) = nullptr;
  void* arg = nullptr;
};

// Mounts, devices, hostname, then pivot_root (or chroot when `no_pivot`). Returns 0, or
// -errno with `error` filled.
int SetupRootfs(const RootfsPlan& plan, bool no_pivot, Syscalls& sys, ChildError* error,
                BeforePivot before_pivot = {});

// After pivot_root and the sysctls (runc's order: /proc/sys may be read-only later):
// masked paths (a /dev/null checked to be char 1:3, or an empty read-only tmpfs),
// read-only paths, and the root remounted read-only when asked. `root_fd` is the
// container's "/" (resolution stays inside it).
int FinishRootfs(const RootfsPlan& plan, int root_fd, Syscalls& sys, ChildError* error);

// openat2(root_fd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): the fd or -errno.
int OpenInRootRaw(int root_fd, const char* path, int flags, mode_t mode = 0);

// Creates every missing directory of `path` inside the root; returns an O_PATH fd of it.
int MkdirAllInRootRaw(int root_fd, const char* path, mode_t mode);

}  // namespace berth::oci
