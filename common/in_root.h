// Path resolution confined to a root directory, done by the kernel with openat2(2).
//
// Every path handed to these functions is resolved as if `root_fd` were "/": "..",
// absolute symlinks and relative symlinks that climb out all stay inside the root, and
// procfs magic links (/proc/self/root, /proc/<pid>/fd/N) are refused. Use them for any
// path that comes from an image, a container or a user instead of joining strings.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"

namespace berth {

// Opens `path` inside the root `root_fd` with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS | extra_resolve). O_CLOEXEC is always added; `mode` only
// matters with O_CREAT or O_TMPFILE. An empty path opens the root itself.
absl::StatusOr<UniqueFd> OpenInRoot(int root_fd, absl::string_view path, int flags, mode_t mode = 0,
                                    uint64_t extra_resolve = 0);

// Opens `dir` as a root for the functions above (O_PATH | O_DIRECTORY).
absl::StatusOr<UniqueFd> OpenRoot(absl::string_view dir);

// Creates every missing directory of `path` inside the root (like mkdir -p) and returns
// an O_PATH fd of the final directory, which is inside the root whatever symlinks the
// path holds or gains while this runs.
absl::StatusOr<UniqueFd> MkdirAllInRoot(int root_fd, absl::string_view path, mode_t mode);

// The path the kernel reports for `fd` (readlink of /proc/self/fd/N), for messages and
// for handing a resolved fd to interfaces that only take paths (mount sources).
absl::StatusOr<std::string> FdPath(int fd);

}  // namespace berth
