// Snapshots as overlayfs layers: a committed snapshot's fs holds its layer's diff, with
// overlay whiteouts; an active one gets an overlay mount over its ancestors.
#pragma once

#include <memory>
#include <string>

#include "services/images/core/directory_snapshotter.h"

namespace berth::images {

class OverlaySnapshotter : public DirectorySnapshotter {
 public:
  // InvalidArgument when `root` holds ',' or ':', which overlay's options cannot carry.
  static absl::StatusOr<std::unique_ptr<OverlaySnapshotter>> Open(const std::string& root);

  std::string name() const override { return "overlayfs"; }

 protected:
  absl::Status Populate(int dir_fd, SnapshotKind kind,
                        const std::vector<int64_t>& ancestor_ids) override;
  std::vector<Mount> MountsOf(const SnapshotRecord& record) const override;

 private:
  // Options of the overlay mount of snapshot `id` over `ancestor_ids`, nearest first.
  std::vector<std::string> OverlayOptions(int64_t id, const std::vector<int64_t>& ancestor_ids,
                                          bool active) const;

  OverlaySnapshotter(State state, bool index_off)
      : DirectorySnapshotter(std::move(state)), index_off_(index_off) {}

  const bool index_off_;  // whether the kernel knows overlay's "index" option
};

}  // namespace berth::images
