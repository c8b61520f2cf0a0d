// The images service's state, opened once: content store, metadata database, the
// snapshotter, the lock that orders garbage collection against writers, and the
// registry host settings. The gRPC adapters and the transfer code share one ImageRoot.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/images/core/content_store.h"
#include "services/images/core/gc.h"
#include "services/images/core/metadata_store.h"
#include "services/images/core/namespaced_snapshotter.h"
#include "services/images/core/registry_auth.h"
#include "services/images/core/registry_client.h"
#include "services/images/core/registry_hosts.h"
#include "services/images/core/snapshotter.h"

namespace berth::images {

struct ImageRootOptions {
  std::string root_dir;        // <data-root>/images
  std::string storage_driver;  // "overlayfs" | "native"
  std::string default_domain = "docker.io";
  std::vector<std::string> registry_mirrors;
  std::vector<std::string> insecure_registries;
  std::string certs_dir = "";  // Docker-style certs.d; "" for none
};

// Plain callbacks through which the host counts what the images core does (berthd's
// /metrics). Set once, before serving; an unset one is skipped.
struct ImageRootEvents {
  std::function<void(const GcResult&)> collected;            // after each successful collection
  std::function<void(int64_t bytes)> fetched;                // layer bytes received from a registry
  std::function<void(bool ok, absl::Duration took)> pulled;  // after each pull
};

class ImageRoot {
 public:
  static absl::StatusOr<std::unique_ptr<ImageRoot>> Open(ImageRootOptions options);

  ContentStore& content() { return *content_; }
  MetadataStore& metadata() { return *metadata_; }
  Snapshotter& snapshotter() { return *snapshotter_; }
  GcLock& gc_lock() { return gc_lock_; }
  const ImageRootOptions& options() const { return options_; }
  const RegistryHosts& registry_hosts() const { return hosts_; }

  // Namespace `ns`'s view of the snapshotter.
  NamespacedSnapshotter SnapshotsOf(const std::string& ns) {
    return NamespacedSnapshotter(*snapshotter_, ns);
  }

  // A registry client that authenticates with `credentials` (from the request) when the
  // registry asks.
  std::unique_ptr<RegistryClient> NewRegistryClient(std::optional<Credentials> credentials) const;

  // Stores a small blob (manifest, index, config) in namespace `ns`, held by `lease_id`
  // when one is given; an existing blob is fine. The GC lock is held until it is recorded.
  absl::StatusOr<Digest> WriteBlob(const std::string& ns, const std::string& lease_id,
                                   absl::string_view data, const Digest* expected = nullptr);
  // Records a committed blob (or snapshot, kind "snapshots/<name>") in `ns` and the lease.
  // Call it with the GC lock held shared, from before the commit.
  absl::Status RecordBlob(const std::string& ns, const std::string& lease_id, const Digest& digest);

  // Mark-and-sweep over images, leases, labels and snapshots of every namespace.
  absl::StatusOr<GcResult> CollectGarbage();

  void SetEvents(ImageRootEvents events) { events_ = std::move(events); }
  const ImageRootEvents& events() const { return events_; }

 private:
  explicit ImageRoot(ImageRootOptions options) : options_(std::move(options)) {}

  ImageRootOptions options_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<MetadataStore> metadata_;
  std::unique_ptr<Snapshotter> snapshotter_;
  std::unique_ptr<SnapshotCatalog> snapshot_catalog_;
  RegistryHosts hosts_;
  GcLock gc_lock_;
  ImageRootEvents events_;
};

}  // namespace berth::images
