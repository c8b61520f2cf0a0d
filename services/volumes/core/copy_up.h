// Copy-up: a new, empty volume mounted where the image has content receives that content
// once, before first use (Docker's rule). The image is read from the container's root
// file system mounted read-only on a scratch directory, and every path is resolved inside
// it (openat2 RESOLVE_IN_ROOT), so a hostile VOLUME path or a symlinked target can only
// ever name something of the image, never of the host.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "services/volumes/core/volume.h"
#include "shim/oci/rootfs_mounts.h"

namespace berth::volumes {

class ImageContent {
 public:
  // Mounts `rootfs` read-only on the directory `scratch` (made if missing); unmounted
  // when the object goes.
  static absl::StatusOr<ImageContent> Mount(const std::vector<RootfsMount>& rootfs,
                                            const std::string& scratch);

  // Copies what the image has at `target` into `volume_dir` when that is an empty
  // directory and the image's `target` is a directory. Returns whether it copied.
  absl::StatusOr<bool> CopyInto(const std::string& target, const std::string& volume_dir) const;

 private:
  ImageContent(oci::RootfsMounts mounts, UniqueFd root)
      : mounts_(std::move(mounts)), root_(std::move(root)) {}

  oci::RootfsMounts mounts_;
  UniqueFd root_;  // O_PATH of the mounted rootfs
};

}  // namespace berth::volumes
