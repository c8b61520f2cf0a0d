// What the overlayfs and native snapshotters share: metadata in <root>/metadata.db and one
// directory per snapshot, <root>/snapshots/<id>/fs (+ work for overlay's active ones).
//
// A new snapshot's directory is made under a temporary name and renamed to its id in the
// transaction that adds its row, so a crash leaves either nothing or a directory without a
// row, which Cleanup() removes. Remove deletes the row first, then the directory.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "services/images/core/snapshot_metadata.h"
#include "services/images/core/snapshotter.h"

namespace berth::images {

class DirectorySnapshotter : public Snapshotter {
 public:
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

 protected:
  // The state both variants open: an absolute root, its snapshots/ directory, the metadata.
  struct State {
    std::string root;
    UniqueFd snapshots_fd;
    SnapshotMetadata metadata;
  };
  static absl::StatusOr<State> OpenState(const std::string& root);

  explicit DirectorySnapshotter(State state);

  // Fills a new snapshot's directory `dir_fd`, which holds an empty `fs`; `ancestor_ids` are
  // the committed ancestors, parent first. Runs without the lock held.
  virtual absl::Status Populate(int dir_fd, SnapshotKind kind,
                                const std::vector<int64_t>& ancestor_ids) = 0;
  // The mounts of an active or view snapshot.
  virtual std::vector<Mount> MountsOf(const SnapshotRecord& record) const = 0;

  const std::string& root() const { return root_; }
  int snapshots_fd() const { return snapshots_fd_.get(); }
  std::string FsPath(int64_t id) const;  // absolute, for mounts
  std::string WorkPath(int64_t id) const;

 private:
  absl::StatusOr<std::vector<Mount>> Create(SnapshotKind kind, const std::string& key,
                                            const std::string& parent, const Labels& labels);

  const std::string root_;
  const UniqueFd snapshots_fd_;
  std::mutex mu_;
  SnapshotMetadata metadata_;      // guarded by mu_
  std::set<std::string> pending_;  // guarded by mu_; temporary dirs of Prepares in flight
  uint64_t next_pending_ = 0;      // guarded by mu_
};

}  // namespace berth::images
