#include "services/images/core/layer_diff.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "services/images/core/layer_fs.h"
#include "services/images/core/tar_stream.h"

namespace berth::images {
namespace {

constexpr char kOverlayOpaqueXattr[] = "trusted.overlay.opaque";
constexpr absl::string_view kOverlayXattrPrefix = "trusted.overlay.";

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : absl::StrCat(dir, "/", name);
}

absl::Status Errno(int err, const std::string& path, absl::string_view what) {
  return absl::ErrnoToStatus(err, absl::StrCat("\"", path, "\": ", what));
}

// Xattrs that belong in a layer: overlayfs's bookkeeping is not the image's.
absl::StatusOr<Xattrs> LayerXattrs(int dir_fd, const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(Xattrs all, ReadXattrsNoFollow(dir_fd, name));
  std::erase_if(all,
                [](const auto& kv) { return absl::StartsWith(kv.first, kOverlayXattrPrefix); });
  return all;
}

UniqueFd OpenDir(int dir_fd, const std::string& name) {
  return UniqueFd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// Whether two regular files of equal size hold the same bytes.
absl::StatusOr<bool> SameContents(int a_dir, int b_dir, const std::string& name) {
  UniqueFd a(::openat(a_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd b(::openat(b_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!a || !b) return absl::ErrnoToStatus(errno, absl::StrCat("opening \"", name, "\""));
  std::vector<char> abuf(64 * 1024), bbuf(64 * 1024);
  for (;;) {
    ssize_t an = ::read(a.get(), abuf.data(), abuf.size());
    if (an < 0) return absl::ErrnoToStatus(errno, "reading");
    size_t got = 0;
    while (got < static_cast<size_t>(an)) {
      ssize_t bn = ::read(b.get(), bbuf.data() + got, static_cast<size_t>(an) - got);
      if (bn < 0) return absl::ErrnoToStatus(errno, "reading");
      if (bn == 0) return false;
      got += static_cast<size_t>(bn);
    }
    if (an == 0) return ::read(b.get(), bbuf.data(), 1) == 0;
    if (std::memcmp(abuf.data(), bbuf.data(), static_cast<size_t>(an)) != 0) return false;
  }
}

absl::StatusOr<std::string> ReadLink(int dir_fd, const std::string& name) {
  std::string buf(4096, '\0');
  ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
  if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("readlink \"", name, "\""));
  buf.resize(static_cast<size_t>(n));
  return buf;
}

class DiffWriter {
 public:
  DiffWriter(TarWriter& tar, const std::set<std::string>& mount_points)
      : tar_(tar), mount_points_(mount_points) {}

  absl::Status WalkOverlay(int dir_fd, const std::string& dir_path);
  absl::Status WalkCompare(int lower_fd, int upper_fd, const std::string& dir_path);

 private:
  absl::Status EmitNode(int dir_fd, const std::string& name, const std::string& path,
                        const struct stat& st);
  // An empty regular file standing for a whiteout or an opaque marker.
  absl::Status EmitMarker(const std::string& path, const struct stat& like);
  absl::StatusOr<bool> Differs(int lower_fd, int upper_fd, const std::string& name,
                               const struct stat& lst, const struct stat& ust);
  // One of mount_points_, still the empty file or directory made to mount over.
  absl::StatusOr<bool> IsEmptyMountPoint(int dir_fd, const std::string& name,
                                         const std::string& path, const struct stat& st);

  // Unchanged ancestors of the directory being walked, emitted (outermost first) only
  // when something below them is, so the layer carries their mtime: applying a child
  // changes the parent's mtime, and ApplyLayer resets the mtimes of the dirs it names.
  struct PendingDir {
    int parent_fd;
    std::string name;
    std::string path;
    struct stat st;
  };
  absl::Status FlushPending();

  TarWriter& tar_;
  const std::set<std::string>& mount_points_;
  std::vector<PendingDir> pending_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first path of each multi-link file
};

absl::Status DiffWriter::FlushPending() {
  std::vector<PendingDir> pending = std::move(pending_);
  pending_.clear();
  for (const PendingDir& d : pending) {
    BERTH_RETURN_IF_ERROR(EmitNode(d.parent_fd, d.name, d.path, d.st));
  }
  return absl::OkStatus();
}

absl::Status DiffWriter::EmitMarker(const std::string& path, const struct stat& like) {
  BERTH_RETURN_IF_ERROR(FlushPending());
  EntryPtr e(archive_entry_new());
  archive_entry_set_pathname(e.get(), path.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0600);
  archive_entry_set_size(e.get(), 0);
  archive_entry_set_uid(e.get(), like.st_uid);
  archive_entry_set_gid(e.get(), like.st_gid);
  archive_entry_set_mtime(e.get(), like.st_mtim.tv_sec, like.st_mtim.tv_nsec);
  return tar_.WriteHeader(e.get());
}

absl::Status DiffWriter::EmitNode(int dir_fd, const std::string& name, const std::string& path,
                                  const struct stat& st) {
  if (S_ISSOCK(st.st_mode)) return absl::OkStatus();  // a socket is not image content
  BERTH_RETURN_IF_ERROR(FlushPending());
  EntryPtr e(archive_entry_new());
  archive_entry_set_pathname(e.get(), path.c_str());
  archive_entry_set_mode(e.get(), st.st_mode);
  archive_entry_set_uid(e.get(), st.st_uid);
  archive_entry_set_gid(e.get(), st.st_gid);
  archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  if (S_ISLNK(st.st_mode)) {
    BERTH_ASSIGN_OR_RETURN(std::string target, ReadLink(dir_fd, name));
    archive_entry_set_symlink(e.get(), target.c_str());
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
    archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
  }
  BERTH_ASSIGN_OR_RETURN(Xattrs xattrs, LayerXattrs(dir_fd, name));
  for (const auto& [k, v] : xattrs) {
    archive_entry_xattr_add_entry(e.get(), k.c_str(), v.data(), v.size());
  }
  if (!S_ISREG(st.st_mode)) return tar_.WriteHeader(e.get());

  if (st.st_nlink > 1) {
    auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, path);
    if (!first) {
      archive_entry_set_hardlink(e.get(), it->second.c_str());
      archive_entry_set_size(e.get(), 0);
      return tar_.WriteHeader(e.get());
    }
  }
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Errno(errno, path, "opening");
  archive_entry_set_size(e.get(), st.st_size);
  BERTH_RETURN_IF_ERROR(tar_.WriteHeader(e.get()));
  std::vector<char> buf(128 * 1024);
  int64_t left = st.st_size;  // the header promised this many bytes; a file that grew is cut
  while (left > 0) {
    ssize_t n =
        ::read(fd.get(), buf.data(), static_cast<size_t>(std::min<int64_t>(left, buf.size())));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno(errno, path, "reading");
    if (n == 0) return absl::AbortedError(absl::StrCat("\"", path, "\" shrank while being read"));
    BERTH_RETURN_IF_ERROR(tar_.WriteData(buf.data(), static_cast<size_t>(n)));
    left -= n;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> DiffWriter::IsEmptyMountPoint(int dir_fd, const std::string& name,
                                                   const std::string& path, const struct stat& st) {
  if (mount_points_.count(path) == 0) return false;
  if (S_ISREG(st.st_mode)) return st.st_size == 0;
  if (!S_ISDIR(st.st_mode)) return false;
  UniqueFd child = OpenDir(dir_fd, name);
  if (!child) return Errno(errno, path, "opening directory");
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(child.get()));
  return names.empty();
}

absl::Status DiffWriter::WalkOverlay(int dir_fd, const std::string& dir_path) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir_fd));
  for (const std::string& name : names) {
    std::string path = Join(dir_path, name);
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return Errno(errno, path, "stat");
    }
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
      BERTH_RETURN_IF_ERROR(EmitMarker(Join(dir_path, ".wh." + name), st));
      continue;
    }
    BERTH_ASSIGN_OR_RETURN(bool mount_point, IsEmptyMountPoint(dir_fd, name, path, st));
    if (mount_point) continue;
    BERTH_RETURN_IF_ERROR(EmitNode(dir_fd, name, path, st));
    if (!S_ISDIR(st.st_mode)) continue;
    BERTH_ASSIGN_OR_RETURN(Xattrs xattrs, ReadXattrsNoFollow(dir_fd, name));
    for (const auto& [k, v] : xattrs) {
      if (k == kOverlayOpaqueXattr && v == "y") {
        BERTH_RETURN_IF_ERROR(EmitMarker(Join(path, ".wh..wh..opq"), st));
      }
    }
    UniqueFd child = OpenDir(dir_fd, name);
    if (!child) return Errno(errno, path, "opening directory");
    BERTH_RETURN_IF_ERROR(WalkOverlay(child.get(), path));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> DiffWriter::Differs(int lower_fd, int upper_fd, const std::string& name,
                                         const struct stat& lst, const struct stat& ust) {
  if (lst.st_mode != ust.st_mode || lst.st_uid != ust.st_uid || lst.st_gid != ust.st_gid ||
      lst.st_mtim.tv_sec != ust.st_mtim.tv_sec || lst.st_mtim.tv_nsec != ust.st_mtim.tv_nsec) {
    return true;
  }
  if (S_ISREG(ust.st_mode) && lst.st_size != ust.st_size) return true;
  if ((S_ISCHR(ust.st_mode) || S_ISBLK(ust.st_mode)) && lst.st_rdev != ust.st_rdev) return true;
  if (S_ISLNK(ust.st_mode)) {
    BERTH_ASSIGN_OR_RETURN(std::string lt, ReadLink(lower_fd, name));
    BERTH_ASSIGN_OR_RETURN(std::string ut, ReadLink(upper_fd, name));
    if (lt != ut) return true;
  }
  BERTH_ASSIGN_OR_RETURN(Xattrs lx, LayerXattrs(lower_fd, name));
  BERTH_ASSIGN_OR_RETURN(Xattrs ux, LayerXattrs(upper_fd, name));
  if (lx != ux) return true;
  if (S_ISREG(ust.st_mode)) {
    BERTH_ASSIGN_OR_RETURN(bool same, SameContents(lower_fd, upper_fd, name));
    return !same;
  }
  return false;
}

absl::Status DiffWriter::WalkCompare(int lower_fd, int upper_fd, const std::string& dir_path) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(upper_fd));
  std::vector<std::string> lower_names;
  if (lower_fd >= 0) {
    BERTH_ASSIGN_OR_RETURN(lower_names, ListDir(lower_fd));
  }
  std::vector<std::string> all;
  std::set_union(names.begin(), names.end(), lower_names.begin(), lower_names.end(),
                 std::back_inserter(all));
  for (const std::string& name : all) {
    std::string path = Join(dir_path, name);
    struct stat ust, lst;
    bool in_upper = ::fstatat(upper_fd, name.c_str(), &ust, AT_SYMLINK_NOFOLLOW) == 0;
    if (!in_upper && errno != ENOENT) return Errno(errno, path, "stat");
    bool in_lower =
        lower_fd >= 0 && ::fstatat(lower_fd, name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0;
    if (lower_fd >= 0 && !in_lower && errno != ENOENT) return Errno(errno, path, "stat");
    if (!in_upper) {
      struct stat epoch = {};
      BERTH_RETURN_IF_ERROR(EmitMarker(Join(dir_path, ".wh." + name), epoch));
      continue;
    }
    bool changed = !in_lower;
    if (in_lower) {
      BERTH_ASSIGN_OR_RETURN(changed, Differs(lower_fd, upper_fd, name, lst, ust));
    } else {
      BERTH_ASSIGN_OR_RETURN(bool mount_point, IsEmptyMountPoint(upper_fd, name, path, ust));
      if (mount_point) continue;
    }
    if (changed) BERTH_RETURN_IF_ERROR(EmitNode(upper_fd, name, path, ust));
    if (!S_ISDIR(ust.st_mode)) continue;
    UniqueFd upper_child = OpenDir(upper_fd, name);
    if (!upper_child) return Errno(errno, path, "opening directory");
    UniqueFd lower_child;
    if (in_lower && S_ISDIR(lst.st_mode)) {
      lower_child = OpenDir(lower_fd, name);
      if (!lower_child) return Errno(errno, path, "opening lower directory");
    }
    if (!changed) pending_.push_back({upper_fd, name, path, ust});
    BERTH_RETURN_IF_ERROR(WalkCompare(lower_child.get(), upper_child.get(), path));
    if (!pending_.empty() && pending_.back().path == path) pending_.pop_back();
  }
  return absl::OkStatus();
}

// Opens the walk's starting directory readable, whatever kind of fd the caller holds.
absl::StatusOr<UniqueFd> ReadableDir(int dir_fd) {
  UniqueFd fd(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return absl::ErrnoToStatus(errno, "opening the directory to diff");
  return fd;
}

}  // namespace

absl::StatusOr<LayerApplyResult> WriteOverlayDiff(int upper_dirfd, int out_fd, bool gzip,
                                                  const std::set<std::string>& mount_points) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd upper, ReadableDir(upper_dirfd));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<TarWriter> tar, TarWriter::Open(out_fd, gzip));
  DiffWriter writer(*tar, mount_points);
  BERTH_RETURN_IF_ERROR(writer.WalkOverlay(upper.get(), ""));
  BERTH_ASSIGN_OR_RETURN(TarDigest digest, tar->Finish());
  return LayerApplyResult{digest.digest, digest.size};
}

absl::StatusOr<LayerApplyResult> WriteDirectoryDiff(int lower_dirfd, int upper_dirfd, int out_fd,
                                                    bool gzip,
                                                    const std::set<std::string>& mount_points) {
  UniqueFd lower;
  if (lower_dirfd >= 0) {
    BERTH_ASSIGN_OR_RETURN(lower, ReadableDir(lower_dirfd));
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd upper, ReadableDir(upper_dirfd));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<TarWriter> tar, TarWriter::Open(out_fd, gzip));
  DiffWriter writer(*tar, mount_points);
  BERTH_RETURN_IF_ERROR(writer.WalkCompare(lower.get(), upper.get(), ""));
  BERTH_ASSIGN_OR_RETURN(TarDigest digest, tar->Finish());
  return LayerApplyResult{digest.digest, digest.size};
}

}  // namespace berth::images
