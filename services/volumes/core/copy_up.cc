#include "services/volumes/core/copy_up.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/file_tree.h"
#include "common/in_root.h"
#include "common/status_macros.h"

namespace berth::volumes {
namespace {

// True when the directory `fd` holds nothing but "." and "..".
absl::StatusOr<bool> IsEmptyDirectory(int fd) {
  UniqueFd dup(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!dup) return absl::ErrnoToStatus(errno, "dup");
  DIR* dir = ::fdopendir(dup.get());
  if (dir == nullptr) return absl::ErrnoToStatus(errno, "fdopendir");
  dup.Release();
  bool empty = true;
  while (struct dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(dir);
  return empty;
}

}  // namespace

absl::StatusOr<ImageContent> ImageContent::Mount(const std::vector<RootfsMount>& rootfs,
                                                 const std::string& scratch) {
  std::vector<oci::Mount> mounts;
  for (const RootfsMount& mount : rootfs) {
    std::vector<std::string> options = mount.options;
    options.push_back("ro");
    mounts.push_back(oci::Mount{"", mount.type, mount.source, std::move(options)});
  }
  BERTH_ASSIGN_OR_RETURN(oci::RootfsMounts mounted, oci::RootfsMounts::Mount(mounts, scratch));
  BERTH_ASSIGN_OR_RETURN(UniqueFd root, OpenRoot(scratch));
  return ImageContent(std::move(mounted), std::move(root));
}

absl::StatusOr<bool> ImageContent::CopyInto(const std::string& target,
                                            const std::string& volume_dir) const {
  absl::StatusOr<UniqueFd> source = OpenInRoot(root_.get(), target, O_RDONLY | O_DIRECTORY);
  if (!source.ok()) {
    // Nothing there, or not a directory: nothing to copy (Docker's rule).
    if (absl::IsNotFound(source.status()) || absl::IsFailedPrecondition(source.status()) ||
        absl::IsInvalidArgument(source.status())) {
      return false;
    }
    return source.status();
  }
  UniqueFd destination(::open(volume_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!destination) return absl::ErrnoToStatus(errno, absl::StrCat("open ", volume_dir));
  BERTH_ASSIGN_OR_RETURN(bool empty, IsEmptyDirectory(destination.get()));
  if (!empty) return false;
  BERTH_RETURN_IF_ERROR(CopyTree(source->get(), destination.get()));
  return true;
}

}  // namespace berth::volumes
