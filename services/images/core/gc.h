// Garbage collection of content and snapshots: mark from the roots, sweep the rest.
//
// Roots, per namespace: image targets; the resources of leases that have not expired;
// content rows and snapshots labelled berth.io/gc.root. Edges follow containerd's labels,
// on content rows and on snapshots alike:
//   berth.io/gc.ref.content[.<anything>] = <digest>       → that content, same namespace
//   berth.io/gc.ref.snapshot.<snapshotter>[/<anything>] = <key> → that snapshot
// and every snapshot keeps its parent. The sweep deletes expired leases, content rows
// left unmarked in their namespace, blobs marked in no namespace at all (also blobs that
// never got a row), and unmarked snapshots, children before parents. Ingests are never
// touched: they are not blobs yet, and an ingest is resumable until aborted.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/images/core/content_store.h"
#include "services/images/core/metadata_store.h"

namespace berth::images {

inline constexpr char kGcRootLabel[] = "berth.io/gc.root";
inline constexpr char kGcRefContentLabel[] = "berth.io/gc.ref.content";
inline constexpr char kGcRefSnapshotLabelPrefix[] = "berth.io/gc.ref.snapshot.";

struct SnapshotEntry {
  std::string ns;  // its namespace; "" when the snapshotter has none (then any
                   // namespace's reference reaches it)
  std::string key;
  std::string parent;  // the parent's key in the same namespace, "" for none
  Labels labels;
};

// What GC needs of a snapshotter, so it does not depend on a concrete one.
class SnapshotCatalog {
 public:
  virtual ~SnapshotCatalog() = default;
  // Every snapshot, in every namespace.
  virtual absl::StatusOr<std::vector<SnapshotEntry>> ListSnapshots() = 0;
  // Called only once no remaining snapshot has this one as parent.
  virtual absl::Status RemoveSnapshot(absl::string_view ns, absl::string_view key) = 0;
};

// Orders collections against the code that makes things reachable. Whoever commits a
// blob (or a snapshot) holds Shared() from before the commit until the row, label or
// lease resource that references it is written: a pull holds it per blob around
// Commit + AddLeaseResource/SetContentLabels. A collection holds Exclusive() throughout,
// so it never sees a blob that is committed but not yet referenced.
class GcLock {
 public:
  std::shared_lock<std::shared_mutex> Shared() { return std::shared_lock(mu_); }
  std::unique_lock<std::shared_mutex> Exclusive() { return std::unique_lock(mu_); }

 private:
  std::shared_mutex mu_;
};

struct GcResult {
  int64_t removed_blobs = 0;
  int64_t reclaimed_bytes = 0;
  int64_t removed_snapshots = 0;
  int64_t removed_content_rows = 0;
  int64_t removed_leases = 0;
  // Removals that failed; the sweep went on with the rest and the next one tries again.
  std::vector<std::string> errors;
};

class GarbageCollector {
 public:
  // `snapshotters` by name, the <snapshotter> of labels and of "snapshots/<snapshotter>"
  // lease resources. Nothing is owned; everything must outlive the collector.
  GarbageCollector(ContentStore* content, MetadataStore* metadata, GcLock* lock,
                   std::map<std::string, SnapshotCatalog*> snapshotters = {})
      : content_(content),
        metadata_(metadata),
        lock_(lock),
        snapshotters_(std::move(snapshotters)) {}

  // One mark and sweep. Leases whose expiry is at or before `now` are not roots and are
  // deleted. Fails, removing nothing, when the state cannot be read whole.
  absl::StatusOr<GcResult> Collect(absl::Time now = absl::Now());

 private:
  ContentStore* content_;
  MetadataStore* metadata_;
  GcLock* lock_;
  std::map<std::string, SnapshotCatalog*> snapshotters_;
};

}  // namespace berth::images
