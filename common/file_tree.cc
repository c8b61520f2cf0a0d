#include "common/file_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"

namespace berth {
namespace {

absl::Status ErrnoError(absl::string_view what, absl::string_view name) {
  return absl::ErrnoToStatus(errno, absl::StrCat(what, " \"", name, "\""));
}

// Entries of the directory `dir_fd` except "." and "..".
absl::StatusOr<std::vector<std::string>> ListDir(int dir_fd) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("opening directory", ".");
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    absl::Status status = ErrnoError("reading directory", ".");
    ::close(fd);
    return status;
  }
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) break;
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  int saved = errno;
  ::closedir(dir);
  if (saved != 0) return absl::ErrnoToStatus(saved, "reading directory");
  return names;
}

absl::StatusOr<UniqueFd> OpenDirAt(int dir_fd, const std::string& name) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return ErrnoError("opening directory", name);
  return fd;
}

// Where xattrs are read or written: an open fd, or (for symlinks and special files, which
// cannot be opened for that) an entry named through /proc/self/fd/<dir>/<name> with the
// l*xattr calls, which do not follow the final component.
struct XattrTarget {
  int fd = -1;
  std::string path;

  ssize_t List(char* buf, size_t size) const {
    return path.empty() ? ::flistxattr(fd, buf, size) : ::llistxattr(path.c_str(), buf, size);
  }
  ssize_t Get(const char* name, void* buf, size_t size) const {
    return path.empty() ? ::fgetxattr(fd, name, buf, size)
                        : ::lgetxattr(path.c_str(), name, buf, size);
  }
  int Set(const char* name, const void* value, size_t size) const {
    return path.empty() ? ::fsetxattr(fd, name, value, size, 0)
                        : ::lsetxattr(path.c_str(), name, value, size, 0);
  }
};

XattrTarget EntryTarget(int dir_fd, const std::string& name) {
  return XattrTarget{-1, absl::StrCat("/proc/self/fd/", dir_fd, "/", name)};
}

// Reads a list or value whose size may change between the sizing and the reading call.
template <typename Read>
absl::StatusOr<std::string> ReadSized(Read read, const std::string& what) {
  while (true) {
    ssize_t size = read(nullptr, 0);
    if (size < 0) return absl::ErrnoToStatus(errno, what);
    std::string buf(static_cast<size_t>(size), '\0');
    ssize_t got = read(buf.data(), buf.size());
    if (got >= 0) {
      buf.resize(static_cast<size_t>(got));
      return buf;
    }
    if (errno != ERANGE) return absl::ErrnoToStatus(errno, what);
  }
}

absl::Status CopyXattrs(const XattrTarget& src, const XattrTarget& dst, absl::string_view name) {
  absl::StatusOr<std::string> list =
      ReadSized([&](char* buf, size_t size) { return src.List(buf, size); },
                absl::StrCat("listing xattrs of \"", name, "\""));
  if (absl::IsUnimplemented(list.status())) return absl::OkStatus();  // ENOTSUP: none
  BERTH_RETURN_IF_ERROR(list.status());
  for (size_t pos = 0; pos < list->size();) {
    std::string key = list->c_str() + pos;
    pos += key.size() + 1;
    absl::StatusOr<std::string> value =
        ReadSized([&](char* buf, size_t size) { return src.Get(key.c_str(), buf, size); },
                  absl::StrCat("reading xattr ", key, " of \"", name, "\""));
    if (absl::IsNotFound(value.status())) continue;  // ENODATA: removed meanwhile
    BERTH_RETURN_IF_ERROR(value.status());
    if (dst.Set(key.c_str(), value->data(), value->size()) != 0) {
      return ErrnoError(absl::StrCat("setting xattr ", key, " on"), name);
    }
  }
  return absl::OkStatus();
}

// Owner first (chown clears setuid and file capabilities), then mode, xattrs, times.
absl::Status CopyAttributesFd(int src_fd, int dst_fd, const struct stat& st,
                              const std::string& name) {
  if (::fchown(dst_fd, st.st_uid, st.st_gid) != 0) return ErrnoError("chown", name);
  if (::fchmod(dst_fd, st.st_mode & 07777) != 0) return ErrnoError("chmod", name);
  BERTH_RETURN_IF_ERROR(CopyXattrs(XattrTarget{src_fd, ""}, XattrTarget{dst_fd, ""}, name));
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(dst_fd, times) != 0) return ErrnoError("setting times of", name);
  return absl::OkStatus();
}

absl::Status CopyAttributesAt(int src_dir, int dst_dir, const std::string& name,
                              const struct stat& st) {
  if (::fchownat(dst_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError("chown", name);
  }
  // A symlink's mode is fixed; other entries here were just made by mknodat, not links.
  if (!S_ISLNK(st.st_mode) && ::fchmodat(dst_dir, name.c_str(), st.st_mode & 07777, 0) != 0) {
    return ErrnoError("chmod", name);
  }
  BERTH_RETURN_IF_ERROR(CopyXattrs(EntryTarget(src_dir, name), EntryTarget(dst_dir, name), name));
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(dst_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError("setting times of", name);
  }
  return absl::OkStatus();
}

absl::Status CopyData(int src_fd, int dst_fd, const std::string& name) {
  bool kernel_copy = true;
  while (true) {
    ssize_t n;
    if (kernel_copy) {
      n = ::copy_file_range(src_fd, nullptr, dst_fd, nullptr, 1 << 30, 0);
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        kernel_copy = false;  // not between these filesystems: copy through a buffer
        continue;
      }
    } else {
      char buf[64 * 1024];
      n = ::read(src_fd, buf, sizeof(buf));
      for (ssize_t done = 0; n > 0 && done < n;) {
        ssize_t w = ::write(dst_fd, buf + done, static_cast<size_t>(n - done));
        if (w < 0 && errno != EINTR) return ErrnoError("writing", name);
        if (w > 0) done += w;
      }
    }
    if (n == 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) return ErrnoError("copying", name);
  }
}

class TreeCopier {
 public:
  explicit TreeCopier(int dst_root) : dst_root_(dst_root) {}

  // `rel` is the directory's path below the copy's root, for hardlinks.
  absl::Status CopyContents(int src_dir, int dst_dir, const std::string& rel) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(src_dir));
    for (const std::string& name : names) {
      BERTH_RETURN_IF_ERROR(
          CopyEntry(src_dir, dst_dir, name, rel.empty() ? name : rel + "/" + name));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status CopyEntry(int src_dir, int dst_dir, const std::string& name,
                         const std::string& rel) {
    struct stat st;
    if (::fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoError("stat", rel);
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, rel);
      if (!first) {
        // Every component of the first path is a directory this copy made.
        if (::linkat(dst_root_, it->second.c_str(), dst_dir, name.c_str(), 0) != 0) {
          return ErrnoError("linking", rel);
        }
        return absl::OkStatus();
      }
    }
    switch (st.st_mode & S_IFMT) {
      case S_IFDIR: {
        if (::mkdirat(dst_dir, name.c_str(), 0700) != 0) return ErrnoError("mkdir", rel);
        BERTH_ASSIGN_OR_RETURN(UniqueFd src, OpenDirAt(src_dir, name));
        BERTH_ASSIGN_OR_RETURN(UniqueFd dst, OpenDirAt(dst_dir, name));
        BERTH_RETURN_IF_ERROR(CopyContents(src.get(), dst.get(), rel));
        return CopyAttributesFd(src.get(), dst.get(), st, rel);  // after the entries: mtime
      }
      case S_IFREG: {
        UniqueFd src(::openat(src_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!src) return ErrnoError("opening", rel);
        UniqueFd dst(::openat(dst_dir, name.c_str(),
                              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!dst) return ErrnoError("creating", rel);
        BERTH_RETURN_IF_ERROR(CopyData(src.get(), dst.get(), rel));
        return CopyAttributesFd(src.get(), dst.get(), st, rel);
      }
      case S_IFLNK: {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = ::readlinkat(src_dir, name.c_str(), target.data(), target.size());
        if (n < 0) return ErrnoError("readlink", rel);
        if (static_cast<size_t>(n) >= target.size()) {
          return absl::AbortedError(absl::StrCat("symlink \"", rel, "\" changed while copying"));
        }
        target.resize(static_cast<size_t>(n));
        if (::symlinkat(target.c_str(), dst_dir, name.c_str()) != 0) {
          return ErrnoError("symlink", rel);
        }
        return CopyAttributesAt(src_dir, dst_dir, name, st);
      }
      case S_IFCHR:
      case S_IFBLK:
      case S_IFIFO:
      case S_IFSOCK:
        if (::mknodat(dst_dir, name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0) {
          return ErrnoError("mknod", rel);
        }
        return CopyAttributesAt(src_dir, dst_dir, name, st);
      default:
        return absl::UnimplementedError(absl::StrCat("cannot copy \"", rel, "\": unknown type"));
    }
  }

  int dst_root_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first copy of each hardlinked inode
};

absl::Status AddUsage(int dir_fd, std::set<std::pair<dev_t, ino_t>>& seen, TreeSize& usage) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir_fd));
  for (const std::string& name : names) {
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoError("stat", name);
    }
    if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
    usage.size_bytes += static_cast<int64_t>(st.st_blocks) * 512;
    usage.inodes++;
    if (S_ISDIR(st.st_mode)) {
      BERTH_ASSIGN_OR_RETURN(UniqueFd child, OpenDirAt(dir_fd, name));
      BERTH_RETURN_IF_ERROR(AddUsage(child.get(), seen, usage));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CopyTree(int src_fd, int dst_fd) {
  struct stat st;
  if (::fstat(src_fd, &st) != 0) return ErrnoError("stat", ".");
  TreeCopier copier(dst_fd);
  BERTH_RETURN_IF_ERROR(copier.CopyContents(src_fd, dst_fd, ""));
  return CopyAttributesFd(src_fd, dst_fd, st, ".");
}

absl::Status RemoveTree(int dir_fd, const std::string& name) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? absl::OkStatus() : ErrnoError("stat", name);
  }
  if (S_ISDIR(st.st_mode)) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd dir, OpenDirAt(dir_fd, name));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir.get()));
    for (const std::string& child : names) BERTH_RETURN_IF_ERROR(RemoveTree(dir.get(), child));
  }
  if (::unlinkat(dir_fd, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 &&
      errno != ENOENT) {
    return ErrnoError("removing", name);
  }
  return absl::OkStatus();
}

absl::StatusOr<TreeSize> MeasureTree(int dir_fd) {
  struct stat st;
  if (::fstat(dir_fd, &st) != 0) return ErrnoError("stat", ".");
  TreeSize usage{static_cast<int64_t>(st.st_blocks) * 512, 1};
  std::set<std::pair<dev_t, ino_t>> seen = {{st.st_dev, st.st_ino}};
  BERTH_RETURN_IF_ERROR(AddUsage(dir_fd, seen, usage));
  return usage;
}

}  // namespace berth
