#include "services/images/core/layer_apply.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/in_root.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "services/images/core/layer_fs.h"
#include "services/images/core/tar_stream.h"

namespace berth::images {
namespace {

constexpr absl::string_view kWhiteoutPrefix = ".wh.";
constexpr absl::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr absl::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr char kOverlayOpaqueXattr[] = "trusted.overlay.opaque";

struct Times {
  struct timespec ts[2];  // atime, mtime as utimensat wants them
};

Times EntryTimes(archive_entry* e) {
  Times t;
  t.ts[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  t.ts[0] = archive_entry_atime_is_set(e)
                ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                : t.ts[1];
  return t;
}

// One layer's application; keeps what must wait for the end of the stream.
class LayerApplier {
 public:
  LayerApplier(int root, WhiteoutMode mode) : root_(root), mode_(mode) {}

  absl::Status Apply(TarReader& reader, archive_entry* e);
  // Prunes opaque dirs (kDelete) and sets directory times, now that contents are final.
  absl::Status Finish();

 private:
  // The entry being applied: its raw name (for messages), cleaned path, parent and name.
  struct Target {
    std::string raw;
    std::string path;
    std::string parent;
    std::string name;
  };

  absl::Status Whiteout(const Target& t, archive_entry* e, const std::string& victim);
  absl::Status Opaque(const Target& t);
  absl::Status ReplaceExisting(const Target& t, int parent_fd, bool is_dir);
  absl::Status Hardlink(const Target& t, int parent_fd, archive_entry* e);
  absl::Status RegularFile(const Target& t, int parent_fd, TarReader& reader, archive_entry* e);
  absl::Status Directory(const Target& t, int parent_fd, archive_entry* e);
  absl::Status OtherNode(const Target& t, int parent_fd, archive_entry* e);
  // Through `fd` when it is open on the entry, else by name in `parent_fd`.
  absl::Status SetXattrs(const Target& t, archive_entry* e, int fd, int parent_fd);
  absl::Status PruneOpaque(int dir_fd, const std::string& dir_path);

  int root_;
  WhiteoutMode mode_;
  std::unordered_set<std::string> from_layer_;  // every path this layer wrote
  std::vector<std::string> opaque_dirs_;        // kDelete: pruned at the end
  std::map<std::string, Times> dir_times_;      // set last, after their contents
};

absl::Status LayerApplier::Apply(TarReader& reader, archive_entry* e) {
  const char* raw = archive_entry_pathname(e);
  if (raw == nullptr) return absl::InvalidArgumentError("layer entry without a name");
  Target t;
  t.raw = raw;
  absl::StatusOr<std::string> path = CleanLayerPath(t.raw);
  if (!path.ok()) return EntryError(t.raw, path.status());
  t.path = *path;
  std::tie(t.parent, t.name) = SplitParent(t.path);

  for (absl::string_view part : absl::StrSplit(t.parent, '/', absl::SkipEmpty())) {
    // aufs keeps its hard-link store under ".wh..wh.plnk/"; Docker skips it, so do we.
    if (absl::StartsWith(part, kWhiteoutMetaPrefix)) return absl::OkStatus();
    if (absl::StartsWith(part, kWhiteoutPrefix)) {
      return EntryError(t.raw, absl::InvalidArgumentError(
                                   "a whiteout cannot be a directory (its name contains \"/\")"));
    }
  }
  if (t.name == kOpaqueMarker) return Opaque(t);
  if (absl::StartsWith(t.name, kWhiteoutMetaPrefix)) return absl::OkStatus();  // aufs metadata
  if (absl::StartsWith(t.name, kWhiteoutPrefix)) {
    return Whiteout(t, e, t.name.substr(kWhiteoutPrefix.size()));
  }

  bool is_dir = archive_entry_hardlink(e) == nullptr && archive_entry_filetype(e) == AE_IFDIR;
  if (t.path.empty() && !is_dir) {
    return EntryError(t.raw, absl::InvalidArgumentError("only a directory may name the root"));
  }
  absl::StatusOr<UniqueFd> parent = MkdirAllInRoot(root_, t.parent, 0755);
  if (!parent.ok()) return EntryError(t.raw, parent.status());
  if (t.path.empty()) t.name = ".";
  from_layer_.insert(t.path);

  if (archive_entry_hardlink(e) != nullptr) return Hardlink(t, parent->get(), e);
  switch (archive_entry_filetype(e)) {
    case AE_IFREG:
      BERTH_RETURN_IF_ERROR(ReplaceExisting(t, parent->get(), false));
      return RegularFile(t, parent->get(), reader, e);
    case AE_IFDIR:
      BERTH_RETURN_IF_ERROR(ReplaceExisting(t, parent->get(), true));
      return Directory(t, parent->get(), e);
    case AE_IFLNK:
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      BERTH_RETURN_IF_ERROR(ReplaceExisting(t, parent->get(), false));
      return OtherNode(t, parent->get(), e);
    default:
      return EntryError(
          t.raw, absl::InvalidArgumentError(absl::StrCat("unsupported entry type 0",
                                                         absl::Hex(archive_entry_filetype(e)))));
  }
}

absl::Status LayerApplier::ReplaceExisting(const Target& t, int parent_fd, bool is_dir) {
  struct stat st;
  if (::fstatat(parent_fd, t.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return EntryErrno(errno, t.raw, "inspecting the existing entry");
  }
  if (is_dir && S_ISDIR(st.st_mode)) return absl::OkStatus();  // directories merge
  if (int err = RemoveTreeAt(parent_fd, t.name); err != 0) {
    return EntryErrno(err, t.raw, "removing the existing entry");
  }
  return absl::OkStatus();
}

absl::Status LayerApplier::Whiteout(const Target& t, archive_entry* e, const std::string& victim) {
  if (victim.empty() || victim == "." || victim == "..") {
    return EntryError(t.raw, absl::InvalidArgumentError(
                                 absl::StrCat("invalid whiteout: it names \"", victim, "\"")));
  }
  std::string victim_path = t.parent.empty() ? victim : absl::StrCat(t.parent, "/", victim);
  if (mode_ == WhiteoutMode::kDelete) {
    absl::StatusOr<UniqueFd> parent = OpenInRoot(root_, t.parent, O_PATH | O_DIRECTORY);
    if (absl::IsNotFound(parent.status()) || absl::IsFailedPrecondition(parent.status())) {
      return absl::OkStatus();  // nothing there to delete
    }
    if (!parent.ok()) return EntryError(t.raw, parent.status());
    if (int err = RemoveTreeAt(parent->get(), victim); err != 0 && err != ENOTDIR) {
      return EntryErrno(err, t.raw, absl::StrCat("removing \"", victim_path, "\""));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<UniqueFd> parent = MkdirAllInRoot(root_, t.parent, 0755);
  if (!parent.ok()) return EntryError(t.raw, parent.status());
  if (int err = RemoveTreeAt(parent->get(), victim); err != 0) {
    return EntryErrno(err, t.raw, absl::StrCat("removing \"", victim_path, "\""));
  }
  // overlayfs's whiteout: a character device numbered 0:0.
  if (::mknodat(parent->get(), victim.c_str(), S_IFCHR | 0600, makedev(0, 0)) != 0) {
    return EntryErrno(errno, t.raw, "creating the overlay whiteout");
  }
  if (::fchownat(parent->get(), victim.c_str(), archive_entry_uid(e), archive_entry_gid(e),
                 AT_SYMLINK_NOFOLLOW) != 0) {
    return EntryErrno(errno, t.raw, "chown of the overlay whiteout");
  }
  from_layer_.insert(victim_path);
  return absl::OkStatus();
}

absl::Status LayerApplier::Opaque(const Target& t) {
  if (mode_ == WhiteoutMode::kDelete) {
    opaque_dirs_.push_back(t.parent);
    return absl::OkStatus();
  }
  absl::StatusOr<UniqueFd> parent = MkdirAllInRoot(root_, t.parent, 0755);
  if (!parent.ok()) return EntryError(t.raw, parent.status());
  UniqueFd dir(::openat(parent->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return EntryErrno(errno, t.raw, "opening the opaque directory");
  if (::fsetxattr(dir.get(), kOverlayOpaqueXattr, "y", 1, 0) != 0) {
    return EntryErrno(errno, t.raw, "setting trusted.overlay.opaque");
  }
  return absl::OkStatus();
}

absl::Status LayerApplier::Hardlink(const Target& t, int parent_fd, archive_entry* e) {
  std::string raw_target = archive_entry_hardlink(e);
  absl::StatusOr<std::string> target = CleanLayerPath(raw_target);
  if (!target.ok()) return EntryError(t.raw, target.status());
  // The target's parents resolve inside the root; its last component is not followed.
  absl::StatusOr<UniqueFd> target_fd = OpenInRoot(root_, *target, O_PATH | O_NOFOLLOW);
  if (!target_fd.ok()) {
    return EntryError(
        t.raw, absl::Status(target_fd.status().code(),
                            absl::StrCat("hard link target: ", target_fd.status().message())));
  }
  struct stat target_st;
  if (::fstat(target_fd->get(), &target_st) != 0) {
    return EntryErrno(errno, t.raw, "inspecting the hard link target");
  }
  if (S_ISLNK(target_st.st_mode) || S_ISDIR(target_st.st_mode)) {
    return EntryError(
        t.raw, absl::InvalidArgumentError(absl::StrCat(
                   "hard link to \"", raw_target, "\", a ",
                   S_ISLNK(target_st.st_mode) ? "symbolic link" : "directory", " (refused)")));
  }
  struct stat st;
  if (::fstatat(parent_fd, t.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      st.st_dev == target_st.st_dev && st.st_ino == target_st.st_ino) {
    return absl::OkStatus();  // already that file
  }
  BERTH_RETURN_IF_ERROR(ReplaceExisting(t, parent_fd, false));
  if (::linkat(target_fd->get(), "", parent_fd, t.name.c_str(), AT_EMPTY_PATH) != 0) {
    return EntryErrno(errno, t.raw, absl::StrCat("hard link to \"", raw_target, "\""));
  }
  return absl::OkStatus();
}

absl::Status LayerApplier::SetXattrs(const Target& t, archive_entry* e, int fd, int parent_fd) {
  const char* key = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
    int err = 0;
    if (fd >= 0) {
      err = ::fsetxattr(fd, key, value, size, 0) == 0 ? 0 : errno;
    } else {
      err = SetXattrNoFollow(parent_fd, t.name, key,
                             std::string(static_cast<const char*>(value), size));
    }
    // A filesystem without xattrs of that kind is not an error, as in Docker; nor is the
    // kernel refusing user.* on a symlink.
    if (err == EPERM && archive_entry_filetype(e) == AE_IFLNK) continue;
    if (err != 0 && err != ENOTSUP) {
      return EntryErrno(err, t.raw, absl::StrCat("setting xattr ", key));
    }
  }
  return absl::OkStatus();
}

absl::Status LayerApplier::RegularFile(const Target& t, int parent_fd, TarReader& reader,
                                       archive_entry* e) {
  UniqueFd fd(::openat(parent_fd, t.name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return EntryErrno(errno, t.raw, "creating the file");
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  for (;;) {
    int rc = archive_read_data_block(reader.tar(), &buf, &size, &offset);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return EntryError(t.raw, reader.Error("reading its data"));
    const char* p = static_cast<const char*>(buf);
    while (size > 0) {
      ssize_t n = ::pwrite(fd.get(), p, size, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return EntryErrno(errno, t.raw, "writing the file");
      p += n;
      size -= static_cast<size_t>(n);
      offset += n;
    }
  }
  // Sparse entries may end in a hole that no data block covers.
  if (archive_entry_size_is_set(e) && ::ftruncate(fd.get(), archive_entry_size(e)) != 0) {
    return EntryErrno(errno, t.raw, "setting the file size");
  }
  // chown clears setuid/setgid and security.capability, so owner first, then xattrs, mode.
  if (::fchown(fd.get(), archive_entry_uid(e), archive_entry_gid(e)) != 0) {
    return EntryErrno(errno, t.raw, "chown");
  }
  BERTH_RETURN_IF_ERROR(SetXattrs(t, e, fd.get(), -1));
  if (::fchmod(fd.get(), archive_entry_perm(e)) != 0) return EntryErrno(errno, t.raw, "chmod");
  Times times = EntryTimes(e);
  if (::futimens(fd.get(), times.ts) != 0) return EntryErrno(errno, t.raw, "setting times");
  return absl::OkStatus();
}

absl::Status LayerApplier::Directory(const Target& t, int parent_fd, archive_entry* e) {
  if (::mkdirat(parent_fd, t.name.c_str(), 0700) != 0 && errno != EEXIST) {
    return EntryErrno(errno, t.raw, "creating the directory");
  }
  UniqueFd fd(::openat(parent_fd, t.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return EntryErrno(errno, t.raw, "opening the directory");
  if (::fchown(fd.get(), archive_entry_uid(e), archive_entry_gid(e)) != 0) {
    return EntryErrno(errno, t.raw, "chown");
  }
  BERTH_RETURN_IF_ERROR(SetXattrs(t, e, fd.get(), -1));
  if (::fchmod(fd.get(), archive_entry_perm(e)) != 0) return EntryErrno(errno, t.raw, "chmod");
  dir_times_[t.path] = EntryTimes(e);
  return absl::OkStatus();
}

absl::Status LayerApplier::OtherNode(const Target& t, int parent_fd, archive_entry* e) {
  const char* name = t.name.c_str();
  mode_t type = archive_entry_filetype(e);
  if (type == AE_IFLNK) {
    const char* target = archive_entry_symlink(e);
    if (target == nullptr) return EntryError(t.raw, absl::InvalidArgumentError("empty symlink"));
    if (::symlinkat(target, parent_fd, name) != 0) {
      return EntryErrno(errno, t.raw, "creating the symlink");
    }
  } else {
    dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (::mknodat(parent_fd, name, type | 0600, type == AE_IFIFO ? 0 : dev) != 0) {
      return EntryErrno(errno, t.raw, "creating the node");
    }
  }
  if (::fchownat(parent_fd, name, archive_entry_uid(e), archive_entry_gid(e),
                 AT_SYMLINK_NOFOLLOW) != 0) {
    return EntryErrno(errno, t.raw, "chown");
  }
  BERTH_RETURN_IF_ERROR(SetXattrs(t, e, -1, parent_fd));
  // glibc does this through an O_PATH fd and refuses symlinks, so nothing is followed.
  if (type != AE_IFLNK &&
      ::fchmodat(parent_fd, name, archive_entry_perm(e), AT_SYMLINK_NOFOLLOW) != 0) {
    return EntryErrno(errno, t.raw, "chmod");
  }
  Times times = EntryTimes(e);
  if (::utimensat(parent_fd, name, times.ts, AT_SYMLINK_NOFOLLOW) != 0) {
    return EntryErrno(errno, t.raw, "setting times");
  }
  return absl::OkStatus();
}

absl::Status LayerApplier::PruneOpaque(int dir_fd, const std::string& dir_path) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir_fd));
  for (const std::string& n : names) {
    std::string path = dir_path.empty() ? n : absl::StrCat(dir_path, "/", n);
    if (!from_layer_.contains(path)) {
      if (int err = RemoveTreeAt(dir_fd, n); err != 0) {
        return EntryErrno(err, path, "removing it from an opaque directory");
      }
      continue;
    }
    UniqueFd child(::openat(dir_fd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (child) BERTH_RETURN_IF_ERROR(PruneOpaque(child.get(), path));
  }
  return absl::OkStatus();
}

absl::Status LayerApplier::Finish() {
  for (const std::string& dir : opaque_dirs_) {
    absl::StatusOr<UniqueFd> fd = OpenInRoot(root_, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (absl::IsNotFound(fd.status())) continue;
    if (!fd.ok()) return EntryError(absl::StrCat(dir, "/", kOpaqueMarker), fd.status());
    BERTH_RETURN_IF_ERROR(PruneOpaque(fd->get(), dir));
  }
  for (const auto& [path, times] : dir_times_) {
    auto [parent_path, name] = SplitParent(path);
    if (path.empty()) name = ".";
    absl::StatusOr<UniqueFd> parent = OpenInRoot(root_, parent_path, O_PATH | O_DIRECTORY);
    if (absl::IsNotFound(parent.status())) continue;  // removed later in the layer
    if (!parent.ok()) return EntryError(path, parent.status());
    struct stat st;
    if (::fstatat(parent->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(st.st_mode)) {
      continue;  // removed or replaced later in the layer
    }
    if (::utimensat(parent->get(), name.c_str(), times.ts, AT_SYMLINK_NOFOLLOW) != 0) {
      return EntryErrno(errno, path, "setting directory times");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LayerApplyResult> ApplyLayer(int root_dirfd, int layer_fd, WhiteoutMode mode) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<TarReader> reader, TarReader::Open(layer_fd));
  LayerApplier applier(root_dirfd, mode);
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(archive_entry * entry, reader->Next());
    if (entry == nullptr) break;
    BERTH_RETURN_IF_ERROR(applier.Apply(*reader, entry));
  }
  BERTH_RETURN_IF_ERROR(applier.Finish());
  BERTH_ASSIGN_OR_RETURN(TarDigest digest, reader->Finish());
  return LayerApplyResult{digest.digest, digest.size};
}

}  // namespace berth::images
