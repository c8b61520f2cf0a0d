#include "services/volumes/core/local_driver.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_tree.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "shim/oci/mount_options.h"

namespace berth::volumes {
namespace {

absl::Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdir ", path));
  }
  // mkdir's mode passes through the umask; the volume's modes are Docker's whatever it is.
  if (::chmod(path.c_str(), mode) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("chmod ", path));
  }
  return absl::OkStatus();
}

// True when `path` is the root of a mount (statx's STATX_ATTR_MOUNT_ROOT, Linux 5.8+).
bool IsMountRoot(const std::string& path) {
  struct statx stx;
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) != 0) {
    return false;
  }
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

absl::StatusOr<UniqueFd> OpenDirectory(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("open ", path));
  return fd;
}

}  // namespace

absl::Status LocalDriver::ValidateOptions(const std::map<std::string, std::string>& options) {
  for (const auto& [key, value] : options) {
    if (key != "type" && key != "device" && key != "o") {
      return absl::InvalidArgumentError(absl::StrCat("invalid option: \"", key, "\""));
    }
  }
  if (options.contains("type") != options.contains("device")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "missing required option: \"", options.contains("type") ? "device" : "type", "\""));
  }
  if (options.contains("o") && !options.contains("type")) {
    return absl::InvalidArgumentError("missing required option: \"type\"");
  }
  if (auto o = options.find("o"); o != options.end()) {
    std::vector<std::string> parts = absl::StrSplit(o->second, ',', absl::SkipEmpty());
    BERTH_RETURN_IF_ERROR(oci::ParseMountOptions(parts).status());
  }
  return absl::OkStatus();
}

std::string LocalDriver::VolumeDir(const std::string& ns, const std::string& name) const {
  return absl::StrCat(dir_, "/", ns, "/", name);
}

std::string LocalDriver::Mountpoint(const std::string& ns, const std::string& name) const {
  return VolumeDir(ns, name) + "/_data";
}

absl::Status LocalDriver::Create(const std::string& ns, const std::string& name) const {
  BERTH_RETURN_IF_ERROR(MakeDir(dir_, 0701));
  BERTH_RETURN_IF_ERROR(MakeDir(absl::StrCat(dir_, "/", ns), 0701));
  BERTH_RETURN_IF_ERROR(MakeDir(VolumeDir(ns, name), 0701));
  return MakeDir(Mountpoint(ns, name), 0755);
}

absl::Status LocalDriver::Remove(const std::string& ns, const std::string& name) const {
  BERTH_RETURN_IF_ERROR(Deactivate(ns, name));
  BERTH_ASSIGN_OR_RETURN(UniqueFd parent, OpenDirectory(absl::StrCat(dir_, "/", ns)));
  return RemoveTree(parent.get(), name);
}

absl::Status LocalDriver::Activate(const std::string& ns, const std::string& name,
                                   const std::map<std::string, std::string>& options) const {
  auto type = options.find("type");
  auto device = options.find("device");
  if (type == options.end() || device == options.end()) return absl::OkStatus();
  const std::string target = Mountpoint(ns, name);
  if (IsMountRoot(target)) return absl::OkStatus();
  std::vector<std::string> parts;
  if (auto o = options.find("o"); o != options.end()) {
    parts = absl::StrSplit(o->second, ',', absl::SkipEmpty());
  }
  BERTH_ASSIGN_OR_RETURN(oci::MountFlags flags, oci::ParseMountOptions(parts));
  const std::string what = absl::StrCat("mount ", device->second, " on volume ", name);
  if (flags.bind) {
    const unsigned long bind = MS_BIND | (flags.recursive ? MS_REC : 0);
    if (::mount(device->second.c_str(), target.c_str(), nullptr, bind, nullptr) != 0) {
      return absl::ErrnoToStatus(errno, what);
    }
    if ((flags.flags & MS_RDONLY) &&
        ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      absl::Status status = absl::ErrnoToStatus(errno, what);
      ::umount2(target.c_str(), MNT_DETACH);
      return status;
    }
    return absl::OkStatus();
  }
  if (::mount(device->second.c_str(), target.c_str(), type->second.c_str(), flags.flags,
              flags.data.empty() ? nullptr : flags.data.c_str()) != 0) {
    return absl::ErrnoToStatus(errno, what);
  }
  return absl::OkStatus();
}

absl::Status LocalDriver::Deactivate(const std::string& ns, const std::string& name) const {
  const std::string target = Mountpoint(ns, name);
  while (IsMountRoot(target)) {
    if (::umount2(target.c_str(), MNT_DETACH) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("unmount volume ", name));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> LocalDriver::Size(const std::string& ns, const std::string& name) const {
  BERTH_ASSIGN_OR_RETURN(UniqueFd data, OpenDirectory(Mountpoint(ns, name)));
  BERTH_ASSIGN_OR_RETURN(TreeSize size, MeasureTree(data.get()));
  return size.size_bytes;
}

}  // namespace berth::volumes
