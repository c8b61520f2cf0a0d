// A container's root file system as a snapshotter describes it — an overlay, or a bind
// of a directory — mounted on the bundle's rootfs directory and owned until unmounted.
// The runtime mounts it briefly to read the image's /etc/passwd; the shim owns it while
// the container exists.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shim/oci/spec.h"

namespace berth::oci {

class RootfsMounts {
 public:
  RootfsMounts() = default;
  RootfsMounts(RootfsMounts&& other) noexcept : target_(std::move(other.target_)) {
    other.target_.clear();
  }
  RootfsMounts& operator=(RootfsMounts&& other) noexcept;
  ~RootfsMounts() { Unmount().IgnoreError(); }

  // Mounts each of `mounts` (type, source, options; destination ignored) in order on
  // `target`, created if missing.
  static absl::StatusOr<RootfsMounts> Mount(const std::vector<oci::Mount>& mounts,
                                            const std::string& target);
  // Unmounts everything mounted on the target; idempotent.
  absl::Status Unmount();
  // Stops owning the mounts: the destructor leaves them.
  void Release() { target_.clear(); }

 private:
  explicit RootfsMounts(std::string target) : target_(std::move(target)) {}
  std::string target_;
};

// The same file system to look at, read-only: an overlay's upper directory becomes its top
// lower layer. Unmounting a writable overlay syncs the whole file system under its upper
// directory (tens of ms on a busy disk); a read-only one has nothing to sync. Other mounts
// are returned as they are.
std::vector<oci::Mount> ReadOnlyView(std::vector<oci::Mount> mounts);

// Unmounts whatever is mounted on `target` (a rootfs some process left behind).
absl::Status UnmountAll(const std::string& target);

}  // namespace berth::oci
