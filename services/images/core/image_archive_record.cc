#include "services/images/core/image_archive_record.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "services/images/core/image_archive_load.h"
#include "services/images/core/image_root.h"
#include "services/images/core/layer_unpacker.h"
#include "services/images/core/resolved_image.h"

namespace berth::images {
namespace {

// Adds `labels` to the blob's row, keeping the labels it has.
absl::Status AddLabels(ImageRoot& root, const std::string& ns, const Digest& digest,
                       const Labels& labels) {
  std::vector<std::string> paths;
  for (const auto& [key, value] : labels) paths.push_back(absl::StrCat("labels.", key));
  return root.metadata().UpdateContentLabels(ns, digest, labels, paths).status();
}

// Before `name` moves to `target`: when the image it names now has no other name, gives
// that image a dangling one.
absl::Status KeepDangling(ImageRoot& root, const std::string& ns, const std::string& name,
                          const Descriptor& target) {
  absl::StatusOr<ImageRecord> old = root.metadata().GetImage(ns, name);
  if (old.status().code() == absl::StatusCode::kNotFound) return absl::OkStatus();
  BERTH_RETURN_IF_ERROR(old.status());
  if (old->target.digest == target.digest) return absl::OkStatus();
  BERTH_ASSIGN_OR_RETURN(std::vector<ImageRecord> all, root.metadata().ListImages(ns));
  for (const ImageRecord& other : all) {
    if (other.name != name && other.target.digest == old->target.digest) return absl::OkStatus();
  }
  ImageRecord dangling;
  dangling.name = absl::StrCat(kDanglingImagePrefix, old->target.digest.str());
  dangling.target = old->target;
  return root.metadata().PutImage(ns, dangling).status();
}

}  // namespace

absl::Status CheckLayerCount(const ImageManifest& manifest, const ImageConfig& config) {
  if (config.diff_ids.size() != manifest.layers.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "image config ", manifest.config.digest.str(), " lists ", config.diff_ids.size(),
        " layers but the manifest has ", manifest.layers.size()));
  }
  if (manifest.layers.empty()) return absl::InvalidArgumentError("image has no layers");
  return absl::OkStatus();
}

absl::Status UnpackImage(ImageRoot& root, const std::string& ns, const std::string& lease_id,
                         const ArchiveImage& image) {
  BERTH_RETURN_IF_ERROR(CheckLayerCount(image.manifest, image.config));
  NamespacedSnapshotter snapshots = root.SnapshotsOf(ns);
  const std::string snapshotter = snapshots.name();

  if (image.index.has_value()) {
    Labels labels;
    for (size_t i = 0; i < image.index->manifests.size(); ++i) {
      const Digest& child = image.index->manifests[i].digest;
      if (root.content().Info(child).ok()) {
        labels[absl::StrCat(kGcRefContentLabel, ".m.", i)] = child.str();
      }
    }
    BERTH_RETURN_IF_ERROR(AddLabels(root, ns, image.target.digest, labels));
  }
  Labels manifest_labels = {
      {absl::StrCat(kGcRefContentLabel, ".config"), image.manifest.config.digest.str()}};
  for (size_t i = 0; i < image.manifest.layers.size(); ++i) {
    manifest_labels[absl::StrCat(kGcRefContentLabel, ".l.", i)] =
        image.manifest.layers[i].digest.str();
  }
  BERTH_RETURN_IF_ERROR(AddLabels(root, ns, image.manifest_descriptor.digest, manifest_labels));

  LayerUnpacker unpacker(root.content(), snapshots);
  const std::vector<Digest> chain = ChainIds(image.config.diff_ids);
  for (size_t i = 0; i < chain.size(); ++i) {
    BERTH_RETURN_IF_ERROR(root.metadata().AddLeaseResource(
        ns, lease_id, absl::StrCat(kLeaseSnapshotsPrefix, snapshotter), chain[i].str()));
    BERTH_RETURN_IF_ERROR(unpacker
                              .Unpack(i == 0 ? Digest() : chain[i - 1],
                                      image.manifest.layers[i].digest, image.config.diff_ids[i])
                              .status());
  }
  return AddLabels(root, ns, image.manifest.config.digest,
                   {{absl::StrCat(kGcRefSnapshotLabelPrefix, snapshotter), chain.back().str()}});
}

absl::StatusOr<std::vector<ImageRecord>> NameImage(ImageRoot& root, const std::string& ns,
                                                   const std::vector<std::string>& names,
                                                   const Descriptor& target) {
  std::vector<ImageRecord> records;
  for (const std::string& name : names) {
    BERTH_RETURN_IF_ERROR(KeepDangling(root, ns, name, target));
    ImageRecord record;
    record.name = name;
    record.target = {.media_type = target.media_type, .digest = target.digest, .size = target.size};
    BERTH_ASSIGN_OR_RETURN(ImageRecord stored, root.metadata().PutImage(ns, record));
    records.push_back(std::move(stored));
  }
  return records;
}

absl::StatusOr<std::string> CreateTransferLease(ImageRoot& root, const std::string& ns,
                                                absl::string_view purpose) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  BERTH_ASSIGN_OR_RETURN(
      LeaseRecord lease,
      root.metadata().CreateLease(ns, "", {{"berth.io/transfer", std::string(purpose)}},
                                  absl::Now() + absl::Hours(24)));
  return lease.id;
}

}  // namespace berth::images
