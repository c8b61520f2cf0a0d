// Snapshots as full copies, for filesystems overlayfs cannot stack on: an active snapshot's
// fs starts as a copy of its parent's whole tree and is bind-mounted.
#pragma once

#include <memory>
#include <string>

#include "services/images/core/directory_snapshotter.h"

namespace berth::images {

class NativeSnapshotter : public DirectorySnapshotter {
 public:
  static absl::StatusOr<std::unique_ptr<NativeSnapshotter>> Open(const std::string& root);

  std::string name() const override { return "native"; }

 protected:
  absl::Status Populate(int dir_fd, SnapshotKind kind,
                        const std::vector<int64_t>& ancestor_ids) override;
  std::vector<Mount> MountsOf(const SnapshotRecord& record) const override;

 private:
  explicit NativeSnapshotter(State state) : DirectorySnapshotter(std::move(state)) {}
};

}  // namespace berth::images
