#include "shim/oci/rootfs_mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "shim/oci/mount_options.h"

namespace berth::oci {

RootfsMounts& RootfsMounts::operator=(RootfsMounts&& other) noexcept {
  if (this != &other) {
    Unmount().IgnoreError();
    target_ = std::move(other.target_);
    other.target_.clear();
  }
  return *this;
}

absl::StatusOr<RootfsMounts> RootfsMounts::Mount(const std::vector<oci::Mount>& mounts,
                                                 const std::string& target) {
  if (::mkdir(target.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdir ", target));
  }
  RootfsMounts mounted(target);
  for (const oci::Mount& mount : mounts) {
    absl::StatusOr<MountFlags> flags = ParseMountOptions(mount.options);
    if (!flags.ok()) return flags.status();
    const std::string what = absl::StrCat(mount.type, " mount of ", mount.source);
    if (flags->bind) {
      const unsigned long bind = MS_BIND | (flags->recursive ? MS_REC : 0);
      if (::mount(mount.source.c_str(), target.c_str(), nullptr, bind, nullptr) != 0) {
        return absl::ErrnoToStatus(errno, what);
      }
      if ((flags->flags & MS_RDONLY) && ::mount(nullptr, target.c_str(), nullptr,
                                                MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
        return absl::ErrnoToStatus(errno, absl::StrCat("read-only remount of ", target));
      }
      continue;
    }
    if (::mount(mount.source.c_str(), target.c_str(), mount.type.c_str(), flags->flags,
                flags->data.empty() ? nullptr : flags->data.c_str()) != 0) {
      return absl::ErrnoToStatus(errno, what);
    }
  }
  return mounted;
}

absl::Status RootfsMounts::Unmount() {
  if (target_.empty()) return absl::OkStatus();
  absl::Status status = UnmountAll(target_);
  if (status.ok()) target_.clear();
  return status;
}

std::vector<oci::Mount> ReadOnlyView(std::vector<oci::Mount> mounts) {
  for (oci::Mount& mount : mounts) {
    if (mount.type != "overlay") continue;
    std::string upper, lower;
    std::vector<std::string> options;
    for (const std::string& option : mount.options) {
      absl::string_view value = option;
      if (absl::ConsumePrefix(&value, "upperdir=")) {
        upper = std::string(value);
      } else if (absl::ConsumePrefix(&value, "lowerdir=")) {
        lower = std::string(value);
      } else if (!absl::StartsWith(option, "workdir=") && option != "volatile" && option != "rw") {
        options.push_back(option);
      }
    }
    if (upper.empty() || lower.empty()) continue;
    options.push_back(absl::StrCat("lowerdir=", upper, ":", lower));
    options.push_back("ro");
    mount.options = std::move(options);
  }
  return mounts;
}

absl::Status UnmountAll(const std::string& target) {
  // Every layer mounted on the target, top first; EINVAL once nothing is left.
  for (int i = 0; i < 16; ++i) {
    if (::umount2(target.c_str(), 0) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) return absl::OkStatus();
    if (errno == EBUSY && ::umount2(target.c_str(), MNT_DETACH) == 0) continue;
    return absl::ErrnoToStatus(errno, absl::StrCat("unmount ", target));
  }
  return absl::OkStatus();
}

}  // namespace berth::oci
