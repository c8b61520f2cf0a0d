// A namespace's view of a shared snapshotter: keys are stored as "<namespace>/<key>", so
// namespaces never see or reach each other's snapshots (as containerd's metadata layer).
#pragma once

#include <string>
#include <vector>

#include "services/images/core/snapshotter.h"

namespace berth::images {

class NamespacedSnapshotter final : public Snapshotter {
 public:
  // `ns` must already be a valid namespace name (no '/').
  NamespacedSnapshotter(Snapshotter& base, std::string ns);

  absl::StatusOr<std::vector<Mount>> Prepare(const std::string& key, const std::string& parent,
                                             const Labels& labels) override;
  absl::StatusOr<std::vector<Mount>> View(const std::string& key, const std::string& parent,
                                          const Labels& labels) override;
  absl::StatusOr<std::vector<Mount>> Mounts(const std::string& key) override;
  absl::Status Commit(const std::string& name, const std::string& key,
                      const Labels& labels) override;
  absl::Status Remove(const std::string& key) override;
  absl::StatusOr<SnapshotInfo> Stat(const std::string& key) override;
  absl::StatusOr<SnapshotInfo> Update(const SnapshotInfo& info,
                                      const std::vector<std::string>& field_paths) override;
  absl::StatusOr<SnapshotUsage> Usage(const std::string& key) override;
  absl::StatusOr<std::vector<SnapshotInfo>> List() override;
  absl::Status Cleanup() override;
  std::string name() const override { return base_.name(); }

  // The key under which `key` is stored in the shared snapshotter.
  std::string Internal(const std::string& key) const { return key.empty() ? key : prefix_ + key; }

 private:
  SnapshotInfo External(SnapshotInfo info) const;

  Snapshotter& base_;
  std::string prefix_;
};

}  // namespace berth::images
