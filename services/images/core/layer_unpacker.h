// Turns downloaded layer blobs into a chain of committed snapshots named by chain ID.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "services/images/core/content_store.h"
#include "services/images/core/digest.h"
#include "services/images/core/snapshotter.h"

namespace berth::images {

// The OCI chain ID of a layer: its diff ID for the base layer, otherwise
// sha256("<parent chain ID> <diff ID>").
Digest ChainId(const Digest& parent_chain, const Digest& diff_id);

struct UnpackedLayer {
  Digest chain_id;
  bool already_existed = false;  // a committed snapshot with that chain ID was there
  int64_t uncompressed_size = 0;
};

class LayerUnpacker {
 public:
  LayerUnpacker(const ContentStore& content, Snapshotter& snapshotter)
      : content_(content), snapshotter_(snapshotter) {}

  // Unpacks the blob `layer` over the snapshot `parent_chain` (empty for the base layer)
  // into a new committed snapshot named by the chain ID, unless one exists already. The
  // tar's digest must equal `diff_id` (from the image config); otherwise nothing is
  // committed and the half-made snapshot is removed, as on any other failure.
  absl::StatusOr<UnpackedLayer> Unpack(const Digest& parent_chain, const Digest& layer,
                                       const Digest& diff_id);

  // Whether layers can be applied before their parents are committed: an overlayfs layer
  // holds only its own changes, whiteouts included, so it does not read its parent.
  bool CanStage() const { return snapshotter_.name() == "overlayfs"; }

  // Applies `layer` into a parentless snapshot `stage_key` (it must be held by a lease, so
  // GC leaves it alone), checking the diff ID; then Adopt moves it under its parent.
  absl::StatusOr<int64_t> Stage(const std::string& stage_key, const Digest& layer,
                                const Digest& diff_id);
  // Commits the staged layer as the chain ID over `parent_chain` by moving its files into a
  // fresh active snapshot (a rename each, same file system), then removes the stage.
  absl::StatusOr<UnpackedLayer> Adopt(const std::string& stage_key, const Digest& parent_chain,
                                      const Digest& diff_id, int64_t uncompressed_size);

 private:
  const ContentStore& content_;
  Snapshotter& snapshotter_;
};

}  // namespace berth::images
