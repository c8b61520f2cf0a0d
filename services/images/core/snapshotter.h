// Snapshotters: layered filesystems handed out as mount descriptions (containerd's model).
//
// A snapshotter never mounts anything for its client; it returns the mounts that make up a
// snapshot and the client mounts them where it needs them. Keys and names are arbitrary
// strings and share one namespace; they are never used as paths.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/file_tree.h"

namespace berth::images {

// One mount(2) call: {"overlay", "overlay", {"lowerdir=…", "upperdir=…", "workdir=…"}} or
// {"bind", "<dir>", {"rbind", "rw"}}.
struct Mount {
  std::string type;
  std::string source;
  std::vector<std::string> options;

  bool operator==(const Mount&) const = default;
};

enum class SnapshotKind { kActive, kView, kCommitted };

absl::string_view SnapshotKindName(SnapshotKind kind);  // "active" | "view" | "committed"

using Labels = std::map<std::string, std::string>;

struct SnapshotInfo {
  std::string name;    // the key of an active or view snapshot, the name of a committed one
  std::string parent;  // name of the committed parent, "" for none
  SnapshotKind kind = SnapshotKind::kActive;
  Labels labels;
  absl::Time created;
  absl::Time updated;
};

// Allocated bytes and distinct inodes of a snapshot, its root directory included.
using SnapshotUsage = TreeSize;

class Snapshotter {
 public:
  virtual ~Snapshotter() = default;

  // Creates an active (writable) snapshot `key` over the committed snapshot `parent` ("" for
  // an empty one). AlreadyExists when `key` is taken; NotFound / FailedPrecondition when
  // `parent` is missing / not committed.
  virtual absl::StatusOr<std::vector<Mount>> Prepare(const std::string& key,
                                                     const std::string& parent,
                                                     const Labels& labels) = 0;
  // As Prepare, but the snapshot is read-only and cannot be committed.
  virtual absl::StatusOr<std::vector<Mount>> View(const std::string& key, const std::string& parent,
                                                  const Labels& labels) = 0;
  // The mounts of an active or view snapshot (FailedPrecondition for a committed one).
  virtual absl::StatusOr<std::vector<Mount>> Mounts(const std::string& key) = 0;
  // Turns the active snapshot `key` into the committed snapshot `name` with `labels`; `key`
  // is gone afterwards. FailedPrecondition when `key` is not active.
  virtual absl::Status Commit(const std::string& name, const std::string& key,
                              const Labels& labels) = 0;
  // Removes any snapshot; FailedPrecondition while it has children, NotFound when unknown.
  virtual absl::Status Remove(const std::string& key) = 0;
  virtual absl::StatusOr<SnapshotInfo> Stat(const std::string& key) = 0;
  // Updates the labels of `info.name`. field_paths: empty or "labels" replace every label;
  // "labels.<k>" sets <k> from info.labels, or deletes it when info.labels lacks it.
  virtual absl::StatusOr<SnapshotInfo> Update(const SnapshotInfo& info,
                                              const std::vector<std::string>& field_paths) = 0;
  // Disk usage of what the snapshot itself holds (a layer's diff for overlayfs, the whole
  // tree for native).
  virtual absl::StatusOr<SnapshotUsage> Usage(const std::string& key) = 0;
  virtual absl::StatusOr<std::vector<SnapshotInfo>> List() = 0;
  // Removes directories that no snapshot owns (left by a crash or a failed removal).
  virtual absl::Status Cleanup() = 0;
  virtual std::string name() const = 0;  // "overlayfs" | "native"
};

// Opens (creating if needed) the snapshotter `driver` ("overlayfs" or "native") keeping its
// state under `root`.
absl::StatusOr<std::unique_ptr<Snapshotter>> OpenSnapshotter(const std::string& driver,
                                                             const std::string& root);

// The directory an active snapshot's changes are written to, to be filled without mounting:
// overlay's upperdir or a read-write bind's source. FailedPrecondition for read-only mounts.
absl::StatusOr<std::string> WritableDir(const std::vector<Mount>& mounts);

}  // namespace berth::images
