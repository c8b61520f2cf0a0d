#include "services/images/core/layer_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/unique_fd.h"

// Linux 6.13's setxattrat(2); newer than the installed kernel headers.
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif

namespace berth::images {
namespace {

struct XattrArgs {  // struct xattr_args from <linux/xattr.h> (6.13)
  uint64_t value;
  uint32_t size;
  uint32_t flags;
};

std::string ProcFdPath(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

}  // namespace

absl::StatusOr<std::string> CleanLayerPath(absl::string_view name) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(name, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (parts.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("the name \"", absl::CHexEscape(name),
                                                       "\" climbs above the root (refused)"));
      }
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return absl::StrJoin(parts, "/");
}

std::pair<std::string, std::string> SplitParent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

absl::StatusOr<std::vector<std::string>> ListDir(int dir_fd) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, "opening directory to list it");
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    ::close(fd);
    return absl::ErrnoToStatus(err, "listing directory");
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* d = ::readdir(dir)) {
    if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0) {
      names.emplace_back(d->d_name);
    }
    errno = 0;
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return absl::ErrnoToStatus(err, "listing directory");
  std::sort(names.begin(), names.end());
  return names;
}

int RemoveTreeAt(int dir_fd, const std::string& name) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return 0;
  if (errno != EISDIR) return errno;
  UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!child) return errno;
  absl::StatusOr<std::vector<std::string>> names = ListDir(child.get());
  if (!names.ok()) return EIO;
  for (const std::string& n : *names) {
    if (int err = RemoveTreeAt(child.get(), n); err != 0) return err;
  }
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) return errno;
  return 0;
}

int SetXattrNoFollow(int dir_fd, const std::string& name, const std::string& key,
                     const std::string& value) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return errno;
  if (!S_ISLNK(st.st_mode)) {
    // An O_PATH fd's /proc link names exactly this inode; nothing is resolved by name.
    if (::setxattr(ProcFdPath(fd.get()).c_str(), key.c_str(), value.data(), value.size(), 0) != 0) {
      return errno;
    }
    return 0;
  }
  XattrArgs args = {reinterpret_cast<uint64_t>(value.data()), static_cast<uint32_t>(value.size()),
                    0};
  if (::syscall(SYS_setxattrat, dir_fd, name.c_str(), AT_SYMLINK_NOFOLLOW, key.c_str(), &args,
                sizeof(args)) != 0) {
    return errno == ENOSYS ? 0 : errno;
  }
  return 0;
}

absl::StatusOr<Xattrs> ReadXattrsNoFollow(int dir_fd, const std::string& name) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("opening \"", name, "\""));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return absl::ErrnoToStatus(errno, "fstat");
  Xattrs out;
  if (S_ISLNK(st.st_mode)) return out;
  std::string path = ProcFdPath(fd.get());
  ssize_t n = ::listxattr(path.c_str(), nullptr, 0);
  if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)) return out;
  if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("listing xattrs of \"", name, "\""));
  std::string keys(static_cast<size_t>(n), '\0');
  n = ::listxattr(path.c_str(), keys.data(), keys.size());
  if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("listing xattrs of \"", name, "\""));
  keys.resize(static_cast<size_t>(n));
  for (absl::string_view key : absl::StrSplit(keys, '\0', absl::SkipEmpty())) {
    std::string k(key);
    ssize_t len = ::getxattr(path.c_str(), k.c_str(), nullptr, 0);
    if (len < 0) return absl::ErrnoToStatus(errno, absl::StrCat("reading xattr ", k));
    std::string value(static_cast<size_t>(len), '\0');
    len = ::getxattr(path.c_str(), k.c_str(), value.data(), value.size());
    if (len < 0) return absl::ErrnoToStatus(errno, absl::StrCat("reading xattr ", k));
    value.resize(static_cast<size_t>(len));
    out.emplace_back(std::move(k), std::move(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status EntryErrno(int err, absl::string_view entry, absl::string_view what) {
  std::string msg = absl::StrCat("layer entry \"", absl::CHexEscape(entry), "\": ", what);
  if (err == ENOSPC) {
    return absl::ResourceExhaustedError(absl::StrCat(msg, ": no space left on device"));
  }
  if (err == EDQUOT) {
    return absl::ResourceExhaustedError(absl::StrCat(msg, ": disk quota exceeded"));
  }
  return absl::ErrnoToStatus(err, msg);
}

absl::Status EntryError(absl::string_view entry, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("layer entry \"", absl::CHexEscape(entry),
                                                  "\": ", status.message()));
}

}  // namespace berth::images
