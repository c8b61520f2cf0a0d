// Carries out a RootfsPlan in the container's new mount namespace, between clone() and
// exec(): no allocation, errors as ChildError.
#pragma once

#include "shim/oci/child_error.h"
#include "shim/oci/rootfs_plan.h"
#include "shim/oci/syscalls.h"

namespace berth::oci {

// Mounts, devices, masked and read-only paths, hostname, then pivot_root (or chroot
// when `no_pivot`). Returns 0, or -errno with `error` filled.
int SetupRootfs(const RootfsPlan& plan, bool no_pivot, Syscalls& sys, ChildError* error);

// openat2(root_fd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): the fd or -errno.
int OpenInRootRaw(int root_fd, const char* path, int flags, mode_t mode = 0);

// Creates every missing directory of `path` inside the root; returns an O_PATH fd of it.
int MkdirAllInRootRaw(int root_fd, const char* path, mode_t mode);

}  // namespace berth::oci
