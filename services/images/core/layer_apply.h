// Unpacks an image layer (a tar, plain, gzip or zstd) into a directory, confined to it.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "services/images/core/digest.h"

namespace berth::images {

// How the layer's whiteouts (".wh.<name>", ".wh..wh..opq") are applied.
enum class WhiteoutMode {
  // As overlayfs stores them in an upper dir: a 0:0 char device per deleted name and
  // trusted.overlay.opaque=y on opaque dirs (the root is a snapshot's upper dir).
  kOverlay,
  // Carried out on the tree: names are removed and opaque dirs lose every child that did
  // not come from this layer (the root is a full copy of the lower layers).
  kDelete,
};

struct LayerApplyResult {
  Digest diff_id;             // sha256 of the uncompressed tar stream
  int64_t uncompressed_size;  // its length in bytes
};

// Reads the layer from `layer_fd` into `root_dirfd`. Nothing outside the root is ever
// created, changed or followed: parents are resolved with openat2(RESOLVE_IN_ROOT), last
// components with no-follow *at() calls. Entry names are cleaned (leading "/" dropped);
// a ".." that would climb above the root is refused, as are hard links to symlinks,
// directories or names outside the root and malformed whiteouts. Existing entries are
// replaced as Docker does: a directory merges into a directory, anything else replaces
// what was there (a directory tree included). Hard link entries take the metadata of
// their target. Errors name the entry; ENOSPC is ResourceExhausted. On error the root
// holds a partial layer and should be discarded.
absl::StatusOr<LayerApplyResult> ApplyLayer(int root_dirfd, int layer_fd, WhiteoutMode mode);

}  // namespace berth::images
