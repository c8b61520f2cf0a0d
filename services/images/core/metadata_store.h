// The images service's metadata: images, content labels and leases, per namespace, in one
// SQLite database (e.g. <images-root>/metadata.db).
//
// Every call names its namespace ("default" for berthctl, "k8s.io" for CRI); nothing in
// one namespace is visible from another. A blob is "in" a namespace when it has a content
// row there, with or without labels; the blob bytes themselves live in the ContentStore.
// Thread-safe: calls are serialized on one connection.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sqlite.h"
#include "services/images/core/digest.h"

namespace berth::images {

using Labels = std::map<std::string, std::string>;

// Lease resource kinds ("snapshots/<snapshotter>" is the third).
inline constexpr char kLeaseContent[] = "content";
inline constexpr char kLeaseIngests[] = "ingests";
inline constexpr char kLeaseSnapshotsPrefix[] = "snapshots/";

struct ImageTarget {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
};

struct ImageRecord {
  std::string name;
  ImageTarget target;
  Labels labels;
  absl::Time created;  // set by the store
  absl::Time updated;  // set by the store
};

struct ContentRecord {
  Digest digest;
  Labels labels;
  absl::Time created;
  absl::Time updated;
};

struct LeaseRecord {
  std::string id;
  Labels labels;
  absl::Time created;
  std::optional<absl::Time> expire_at;  // none: lives until deleted
};

struct LeaseResource {
  std::string kind;  // "content", "ingests" or "snapshots/<snapshotter>"
  std::string key;   // a digest, an ingest ref or a snapshot key
  friend bool operator==(const LeaseResource&, const LeaseResource&) = default;
};

class MetadataStore {
 public:
  // Opens or creates the database and brings its schema up to date.
  static absl::StatusOr<std::unique_ptr<MetadataStore>> Open(const std::string& path);

  // Namespaces that hold anything (an image, a content row or a lease), sorted.
  absl::StatusOr<std::vector<std::string>> ListNamespaces();

  // ---- images ----
  // AlreadyExists when the name is taken.
  absl::StatusOr<ImageRecord> CreateImage(absl::string_view ns, const ImageRecord& image);
  // Creates, or replaces the target and labels of an existing image (keeping `created`).
  absl::StatusOr<ImageRecord> PutImage(absl::string_view ns, const ImageRecord& image);
  absl::StatusOr<ImageRecord> GetImage(absl::string_view ns, absl::string_view name);
  absl::StatusOr<std::vector<ImageRecord>> ListImages(absl::string_view ns);
  absl::Status DeleteImage(absl::string_view ns, absl::string_view name);

  // ---- content rows and their labels ----
  // Puts the blob in the namespace, leaving the labels of an existing row alone.
  absl::Status AddContent(absl::string_view ns, const Digest& digest);
  // Puts the blob in the namespace with exactly these labels.
  absl::Status SetContentLabels(absl::string_view ns, const Digest& digest, const Labels& labels);
  // NotFound when the blob is not in the namespace.
  absl::StatusOr<Labels> GetContentLabels(absl::string_view ns, const Digest& digest);
  absl::StatusOr<ContentRecord> GetContent(absl::string_view ns, const Digest& digest);
  // containerd's field paths: "labels.<key>" sets that label from `labels` (removing it
  // when absent or empty there), "labels" replaces them all, and no paths at all means
  // "labels". Returns the labels after. NotFound when the blob is not in the namespace.
  absl::StatusOr<Labels> UpdateContentLabels(absl::string_view ns, const Digest& digest,
                                             const Labels& labels,
                                             const std::vector<std::string>& field_paths);
  absl::StatusOr<std::vector<ContentRecord>> ListContent(absl::string_view ns);
  // NotFound when the blob is not in the namespace.
  absl::Status RemoveContent(absl::string_view ns, const Digest& digest);

  // ---- leases ----
  // An empty id gets a generated one. AlreadyExists when the id is taken.
  absl::StatusOr<LeaseRecord> CreateLease(absl::string_view ns, absl::string_view id,
                                          const Labels& labels,
                                          std::optional<absl::Time> expire_at = std::nullopt);
  // Also drops the lease's resources. NotFound when absent.
  absl::Status DeleteLease(absl::string_view ns, absl::string_view id);
  absl::StatusOr<std::vector<LeaseRecord>> ListLeases(absl::string_view ns);
  // NotFound when the lease does not exist; adding a resource twice is fine.
  absl::Status AddLeaseResource(absl::string_view ns, absl::string_view id, absl::string_view kind,
                                absl::string_view key);
  absl::Status DeleteLeaseResource(absl::string_view ns, absl::string_view id,
                                   absl::string_view kind, absl::string_view key);
  absl::StatusOr<std::vector<LeaseResource>> ListLeaseResources(absl::string_view ns,
                                                                absl::string_view id);

 private:
  explicit MetadataStore(sqlite::Database db) : db_(std::move(db)) {}
  absl::StatusOr<ImageRecord> GetImageLocked(absl::string_view ns, absl::string_view name);
  absl::StatusOr<ContentRecord> GetContentLocked(absl::string_view ns, const Digest& digest);
  absl::Status WriteContentLabels(absl::string_view ns, const Digest& digest, const Labels& labels);
  absl::Status RequireLease(absl::string_view ns, absl::string_view id);

  std::mutex mu_;  // one transaction at a time on the connection
  sqlite::Database db_;
};

// InvalidArgument unless `ns` is a namespace name: 1–76 of [A-Za-z0-9._-], starting and
// ending with a letter or digit.
absl::Status ValidateNamespace(absl::string_view ns);

}  // namespace berth::images
