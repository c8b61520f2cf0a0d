// What a load or an import does with an image once its blobs are committed: the GC
// labels that keep what it reaches, its layers unpacked into snapshots, its names.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/images/core/image_config.h"
#include "services/images/core/image_manifest.h"
#include "services/images/core/metadata_store.h"

namespace berth::images {

class ImageRoot;

struct ArchiveImage {
  Descriptor target;                // what names point at: an index or a manifest
  std::optional<ImageIndex> index;  // when `target` is an index
  Descriptor manifest_descriptor;   // the manifest for the platform
  ImageManifest manifest;
  ImageConfig config;
};

// InvalidArgument unless the config lists one diff ID per manifest layer (at least one).
absl::Status CheckLayerCount(const ImageManifest& manifest, const ImageConfig& config);

// Labels the index (→ its manifests in the store), the manifest (→ config and layers) and
// the config (→ the top snapshot), then unpacks the layers into namespace `ns`'s
// snapshots, each held by `lease_id` until the labels reach it. The blobs must be
// committed and recorded in `ns` already.
absl::Status UnpackImage(ImageRoot& root, const std::string& ns, const std::string& lease_id,
                         const ArchiveImage& image);

// Points each of `names` at `target`, creating or replacing the records. An image that
// loses its last name this way stays, dangling (kDanglingImagePrefix), as Docker keeps it
// for `docker image prune`.
absl::StatusOr<std::vector<ImageRecord>> NameImage(ImageRoot& root, const std::string& ns,
                                                   const std::vector<std::string>& names,
                                                   const Descriptor& target);

// A lease for one load or import, deleted by the caller; expires after a day so a crash
// does not pin its content for ever.
absl::StatusOr<std::string> CreateTransferLease(ImageRoot& root, const std::string& ns,
                                                absl::string_view purpose);

}  // namespace berth::images
