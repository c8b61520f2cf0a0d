#include "services/images/core/image_root.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace berth::images {
namespace {

// The GC's view of the shared snapshotter: keys are "<namespace>/<key>".
class NamespacedCatalog final : public SnapshotCatalog {
 public:
  explicit NamespacedCatalog(Snapshotter& snapshotter) : snapshotter_(snapshotter) {}

  absl::StatusOr<std::vector<SnapshotEntry>> ListSnapshots() override {
    BERTH_ASSIGN_OR_RETURN(std::vector<SnapshotInfo> all, snapshotter_.List());
    std::vector<SnapshotEntry> entries;
    for (const SnapshotInfo& info : all) {
      size_t slash = info.name.find('/');
      if (slash == std::string::npos) continue;  // not made through a namespace: leave it
      SnapshotEntry entry;
      entry.ns = info.name.substr(0, slash);
      entry.key = info.name.substr(slash + 1);
      if (!info.parent.empty()) entry.parent = info.parent.substr(info.parent.find('/') + 1);
      entry.labels = info.labels;
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  absl::Status RemoveSnapshot(absl::string_view ns, absl::string_view key) override {
    return snapshotter_.Remove(absl::StrCat(ns, "/", key));
  }

 private:
  Snapshotter& snapshotter_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ImageRoot>> ImageRoot::Open(ImageRootOptions options) {
  if (::mkdir(options.root_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(
        absl::StrCat("creating ", options.root_dir, ": ", std::strerror(errno)));
  }
  std::unique_ptr<ImageRoot> root(new ImageRoot(options));
  BERTH_ASSIGN_OR_RETURN(root->content_, ContentStore::Open(options.root_dir + "/content"));
  BERTH_ASSIGN_OR_RETURN(root->metadata_, MetadataStore::Open(options.root_dir + "/metadata.db"));
  BERTH_ASSIGN_OR_RETURN(root->snapshotter_,
                         OpenSnapshotter(options.storage_driver, options.root_dir + "/snapshots"));
  BERTH_ASSIGN_OR_RETURN(
      root->hosts_, RegistryHosts::Create(options.registry_mirrors, options.insecure_registries,
                                          options.certs_dir));
  root->snapshot_catalog_ = std::make_unique<NamespacedCatalog>(*root->snapshotter_);
  return root;
}

std::unique_ptr<RegistryClient> ImageRoot::NewRegistryClient(
    std::optional<Credentials> credentials) const {
  RegistryClientOptions client;
  client.credentials =
      [credentials](absl::string_view) -> absl::StatusOr<std::optional<Credentials>> {
    return credentials;
  };
  RegistryHosts hosts = hosts_;
  client.host_config = [hosts](absl::string_view host) { return hosts.ConfigFor(host); };
  return std::make_unique<RegistryClient>(std::move(client));
}

absl::Status ImageRoot::RecordBlob(const std::string& ns, const std::string& lease_id,
                                   const Digest& digest) {
  BERTH_RETURN_IF_ERROR(metadata_->AddContent(ns, digest));
  if (lease_id.empty()) return absl::OkStatus();
  return metadata_->AddLeaseResource(ns, lease_id, "content", digest.str());
}

absl::StatusOr<Digest> ImageRoot::WriteBlob(const std::string& ns, const std::string& lease_id,
                                            absl::string_view data, const Digest* expected) {
  const Digest digest = Digest::Of(data);
  if (expected != nullptr && *expected != digest) {
    return absl::DataLossError(
        absl::StrCat("digest mismatch: expected ", expected->str(), ", got ", digest.str()));
  }
  auto hold = gc_lock_.Shared();
  auto writer = content_->Writer(absl::StrCat("write-", digest.str()),
                                 static_cast<int64_t>(data.size()), &digest);
  if (writer.ok()) {
    if ((*writer)->offset() != 0) BERTH_RETURN_IF_ERROR((*writer)->Truncate(0));
    BERTH_RETURN_IF_ERROR((*writer)->Write(data));
    BERTH_RETURN_IF_ERROR((*writer)->Commit(static_cast<int64_t>(data.size()), &digest).status());
  } else if (writer.status().code() != absl::StatusCode::kAlreadyExists) {
    return writer.status();
  }
  BERTH_RETURN_IF_ERROR(RecordBlob(ns, lease_id, digest));
  return digest;
}

absl::StatusOr<GcResult> ImageRoot::CollectGarbage() {
  GarbageCollector collector(content_.get(), metadata_.get(), &gc_lock_,
                             {{snapshotter_->name(), snapshot_catalog_.get()}});
  absl::StatusOr<GcResult> result = collector.Collect();
  if (result.ok() && events_.collected) events_.collected(*result);
  return result;
}

}  // namespace berth::images
