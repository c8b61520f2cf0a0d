// No-follow file operations shared by layer apply and layer diff. Every function takes a
// directory fd and a single name component and never follows a symlink in that name.
#pragma once

#include <sys/stat.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::images {

using Xattrs = std::vector<std::pair<std::string, std::string>>;

// Cleans a tar entry name into a path relative to the root: a leading "/", empty and "."
// components are dropped and ".." removes the previous component. A ".." that would climb
// above the root is refused (InvalidArgument) rather than clamped, so a hostile name fails
// loudly. The root itself is "".
absl::StatusOr<std::string> CleanLayerPath(absl::string_view name);

// Splits a cleaned path into its parent ("" for the root) and its last component.
std::pair<std::string, std::string> SplitParent(const std::string& path);

// The names in the directory `dir_fd` (any fd that can be read or an O_PATH one), sorted
// bytewise, without "." and "..".
absl::StatusOr<std::vector<std::string>> ListDir(int dir_fd);

// Removes `name` in `dir_fd` and, if it is a directory, everything below it, never
// following symlinks. Returns 0 (also when nothing was there) or an errno value.
int RemoveTreeAt(int dir_fd, const std::string& name);

// Sets `key` on `name` in `dir_fd` without following a final symlink. Non-symlinks are
// reached through an O_PATH fd (the inode itself); symlinks need setxattrat(2) (Linux
// 6.13) and are skipped with 0 on older kernels. Returns 0 or an errno value.
int SetXattrNoFollow(int dir_fd, const std::string& name, const std::string& key,
                     const std::string& value);

// The extended attributes of `name` in `dir_fd` (empty for symlinks), sorted by key.
absl::StatusOr<Xattrs> ReadXattrsNoFollow(int dir_fd, const std::string& name);

// An errno as a Status naming the layer entry: ENOSPC/EDQUOT become ResourceExhausted
// saying "no space left on device" / "disk quota exceeded".
absl::Status EntryErrno(int err, absl::string_view entry, absl::string_view what);
// Prefixes `status` with the entry's name, keeping its code.
absl::Status EntryError(absl::string_view entry, const absl::Status& status);

}  // namespace berth::images
