// The snapshotters' metadata: one SQLite table of snapshots, keyed by an id that also names
// the snapshot's directory. Not thread-safe: its owner serializes calls.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sqlite.h"
#include "services/images/core/snapshotter.h"

namespace berth::images {

struct SnapshotRecord {
  int64_t id = 0;
  SnapshotInfo info;
  std::vector<int64_t> ancestor_ids;  // committed ancestors' ids, the parent first
};

class SnapshotMetadata {
 public:
  // Opens or creates the database at `path` and brings its schema up to date.
  static absl::StatusOr<SnapshotMetadata> Open(const std::string& path);

  // Runs `body` in one transaction (see sqlite::Database::Transaction).
  absl::Status Transaction(absl::FunctionRef<absl::Status()> body) { return db_.Transaction(body); }

  // NotFound when no snapshot has this key or name.
  absl::StatusOr<SnapshotRecord> Get(const std::string& key);
  // Adds a row and returns its id. AlreadyExists for a taken key; NotFound or
  // FailedPrecondition when `parent` is missing or not committed.
  absl::StatusOr<int64_t> Create(const std::string& key, const std::string& parent,
                                 SnapshotKind kind, const Labels& labels, absl::Time now);
  // Renames the active `key` to the committed `name`, keeping its id, which it returns.
  absl::StatusOr<int64_t> Commit(const std::string& name, const std::string& key,
                                 const Labels& labels, absl::Time now);
  // Deletes the row of `key` and returns its id; FailedPrecondition while it has children.
  absl::StatusOr<int64_t> Remove(const std::string& key);
  absl::StatusOr<SnapshotInfo> Update(const SnapshotInfo& info,
                                      const std::vector<std::string>& field_paths, absl::Time now);
  absl::StatusOr<std::vector<SnapshotInfo>> List();
  absl::StatusOr<std::set<int64_t>> Ids();

 private:
  explicit SnapshotMetadata(sqlite::Database db) : db_(std::move(db)) {}

  sqlite::Database db_;
};

}  // namespace berth::images
