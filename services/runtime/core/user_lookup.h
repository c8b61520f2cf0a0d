// Docker's `--user` and `--group-add` resolution: names become ids by reading the
// container's own /etc/passwd and /etc/group, opened inside its root file system.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "shim/oci/spec.h"

namespace berth::runtime {

// The process user for `user` ("", "name", "uid", "name:group", "uid:gid", …) in the
// root file system open at `rootfs_dir_fd` (an O_PATH directory fd), as Docker does:
// "" is uid 0 gid 0 (or root's passwd entry); a user found in /etc/passwd takes its
// gid and, unless a group is given, its supplementary groups from /etc/group; a numeric
// uid or gid needs no entry; `group_add` (names or gids) is appended to the
// supplementary groups. The files are read with openat2(RESOLVE_IN_ROOT), so symlinks
// in the image cannot point them at the host's. No NSS. Errors read like Docker's:
// "unable to find user xyz: no matching entries in passwd file".
absl::StatusOr<oci::User> ResolveUser(int rootfs_dir_fd, absl::string_view user,
                                      const std::vector<std::string>& group_add);

}  // namespace berth::runtime
