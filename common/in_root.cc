#include "common/in_root.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace berth {
namespace {

// openat2 fails with EAGAIN when a rename or mount raced with a ".." step; the kernel
// cannot prove the walk stayed inside the root, so it asks us to try again.
constexpr int kMaxAttempts = 128;

std::string RootName(int root_fd) {
  absl::StatusOr<std::string> path = FdPath(root_fd);
  return path.ok() ? *path : absl::StrCat("fd ", root_fd);
}

absl::Status ResolveError(int err, int root_fd, absl::string_view path) {
  std::string what = absl::StrCat("resolving \"", path, "\" in root ", RootName(root_fd));
  if (err == ELOOP) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": too many levels of symbolic links, or a procfs magic link (refused)"));
  }
  if (err == EXDEV) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, ": the path crosses a mount point, which is not allowed here"));
  }
  return absl::ErrnoToStatus(err, what);
}

}  // namespace

absl::StatusOr<UniqueFd> OpenInRoot(int root_fd, absl::string_view path, int flags, mode_t mode,
                                    uint64_t extra_resolve) {
  std::string p = path.empty() ? std::string(".") : std::string(path);
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  bool takes_mode = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
  how.mode = takes_mode ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve;
  for (int attempt = 0;; ++attempt) {
    long fd = syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof(how));
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    int err = errno;
    if ((err == EAGAIN || err == EINTR) && attempt + 1 < kMaxAttempts) continue;
    return ResolveError(err, root_fd, path);
  }
}

absl::StatusOr<UniqueFd> OpenRoot(absl::string_view dir) {
  std::string d(dir);
  int fd = ::open(d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("opening root ", d));
  return UniqueFd(fd);
}

absl::StatusOr<UniqueFd> MkdirAllInRoot(int root_fd, absl::string_view path, mode_t mode) {
  // Each prefix is re-resolved from the root with RESOLVE_IN_ROOT and only a missing last
  // component is created, by mkdirat on its resolved parent's fd: every fd held is inside.
  BERTH_ASSIGN_OR_RETURN(UniqueFd dir, OpenInRoot(root_fd, "", O_PATH | O_DIRECTORY));
  std::string prefix;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    absl::StrAppend(&prefix, prefix.empty() ? "" : "/", part);
    bool existed = false;
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<UniqueFd> next = OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY);
      if (next.ok()) {
        dir = *std::move(next);
        break;
      }
      if (!absl::IsNotFound(next.status()) || attempt + 1 >= kMaxAttempts) {
        return next.status();
      }
      std::string name(part);
      if (::mkdirat(dir.get(), name.c_str(), mode) == 0) continue;
      if (errno != EEXIST) {
        return absl::ErrnoToStatus(
            errno, absl::StrCat("creating \"", prefix, "\" in root ", RootName(root_fd)));
      }
      // It exists yet does not resolve twice in a row: a dangling symlink, not a race.
      if (existed) {
        return absl::FailedPreconditionError(
            absl::StrCat("creating \"", prefix, "\" in root ", RootName(root_fd),
                         ": it exists but does not resolve to a directory (dangling symlink?)"));
      }
      existed = true;
    }
  }
  return dir;
}

absl::StatusOr<std::string> FdPath(int fd) {
  std::string link = absl::StrCat("/proc/self/fd/", fd);
  std::string buf(PATH_MAX, '\0');
  ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size());
  if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("readlink ", link));
  buf.resize(static_cast<size_t>(n));
  return buf;
}

}  // namespace berth
