// Writes a directory's changes as an image layer (a tar), for commit and build.
#pragma once

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "services/images/core/layer_apply.h"

namespace berth::images {

// Tars an overlayfs upper dir: a 0:0 char device becomes ".wh.<name>", a directory with
// trusted.overlay.opaque=y becomes the directory plus "<dir>/.wh..wh..opq", and the
// overlay's own trusted.overlay.* xattrs are left out. Assumes the overlay ran without
// redirect_dir and metacopy, whose upper entries stand for lower files.
absl::StatusOr<LayerApplyResult> WriteOverlayDiff(int upper_dirfd, int out_fd, bool gzip,
                                                  const std::set<std::string>& mount_points = {});

// Tars what turns `lower_dirfd` (-1 = an empty tree) into `upper_dirfd`: entries that are
// new or differ (type, mode, owner, mtime, size, contents, link target, device, xattrs),
// and ".wh.<name>" for names gone from upper.
absl::StatusOr<LayerApplyResult> WriteDirectoryDiff(int lower_dirfd, int upper_dirfd, int out_fd,
                                                    bool gzip,
                                                    const std::set<std::string>& mount_points = {});

// `mount_points` ("etc/hosts", "proc") are left out while they are a new empty file or
// directory: what a runtime created to mount over, as Docker keeps them in a container's
// init layer rather than its changes.
//
// Both write PAX, entries in sorted name order (parents first), files with several links
// within the layer as one file plus hard links, sockets skipped. The diff_id is the sha256
// of the uncompressed tar, what ApplyLayer returns for the same stream.

}  // namespace berth::images
