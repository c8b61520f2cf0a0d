#include "services/runtime/supervisor/container_export.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/random_hex.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "services/images/core/layer_diff.h"
#include "shim/oci/rootfs_mounts.h"

namespace berth::runtime {

absl::Status ExportContainer(ImageSource& images, const std::string& ns,
                             const ContainerRecord& record, const std::string& mount_parent,
                             int out_fd) {
  BERTH_ASSIGN_OR_RETURN(std::vector<RootfsMount> rootfs,
                         images.RootfsMounts(ns, record.snapshotter, record.snapshot_key));
  std::vector<oci::Mount> mounts;
  for (const RootfsMount& mount : rootfs) {
    mounts.push_back(oci::Mount{"", mount.type, mount.source, mount.options});
  }
  if (::mkdir(mount_parent.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdir ", mount_parent));
  }
  const std::string target = absl::StrCat(mount_parent, "/", record.id, "-", RandomHex(4));
  absl::Cleanup remove_target = [&] { ::rmdir(target.c_str()); };
  absl::StatusOr<oci::RootfsMounts> mounted =
      oci::RootfsMounts::Mount(oci::ReadOnlyView(std::move(mounts)), target);
  if (!mounted.ok()) return mounted.status();
  UniqueFd root(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return absl::ErrnoToStatus(errno, "opening the container's root");
  // A diff from an empty tree is the whole tree.
  absl::Status written =
      images::WriteDirectoryDiff(-1, root.get(), out_fd, /*gzip=*/false).status();
  root.Reset();
  BERTH_RETURN_IF_ERROR(mounted->Unmount());
  return written;
}

void CleanExportMounts(const std::string& mount_parent) {
  DIR* dir = ::opendir(mount_parent.c_str());
  if (dir == nullptr) return;
  absl::Cleanup close_dir = [dir] { ::closedir(dir); };
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = absl::StrCat(mount_parent, "/", name);
    oci::UnmountAll(path).IgnoreError();
    ::rmdir(path.c_str());
  }
}

}  // namespace berth::runtime
