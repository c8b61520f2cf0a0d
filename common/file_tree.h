// Whole-tree operations on directories, done with *at() calls relative to directory fds and
// never following a symlink: copying with every attribute, removing, measuring.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth {

// Size of a directory tree.
struct TreeSize {
  int64_t size_bytes = 0;  // allocated bytes (st_blocks * 512), each inode once
  int64_t inodes = 0;      // distinct inodes, the root directory included
};

// Copies the contents of directory `src_fd` into the empty directory `dst_fd`, and the
// source directory's own owner, mode, xattrs and times onto `dst_fd`. Keeps file types,
// owners, modes (setuid too), xattrs, timestamps, device nodes, symlinks, and hardlinks as
// hardlinks. Both fds must be opened O_RDONLY | O_DIRECTORY.
absl::Status CopyTree(int src_fd, int dst_fd);

// Removes `name` in `dir_fd` and, when it is a directory, everything below it. A missing
// `name` is not an error.
absl::Status RemoveTree(int dir_fd, const std::string& name);

// Allocated bytes (st_blocks * 512, which is what du counts and sparse files do not inflate)
// and distinct inodes of the tree at `dir_fd`, the directory itself included; hardlinks
// count once.
absl::StatusOr<TreeSize> MeasureTree(int dir_fd);

}  // namespace berth
