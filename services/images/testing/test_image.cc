#include "services/images/testing/test_image.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/images/core/gc.h"
#include "services/images/core/image_manifest.h"
#include "services/images/core/layer_unpacker.h"
#include "services/images/core/platform.h"
#include "services/images/core/resolved_image.h"

namespace berth::images::testing {

absl::StatusOr<WrittenImage> WriteTestImage(ImageRoot& root, const std::string& ns,
                                            const TestImage& image) {
  WrittenImage written;
  ImageManifest manifest;
  manifest.media_type = std::string(media_type::kOciManifest);
  ImageConfig config;
  const Platform host = HostPlatform();
  config.os = host.os;
  config.architecture = host.architecture;
  config.variant = host.variant;
  config.created = image.created;
  config.author = image.author;
  config.config.labels = image.labels;
  config.config.cmd = image.cmd;
  config.history = image.history;
  for (size_t i = 0; i < image.layers.size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(Digest blob, root.WriteBlob(ns, "", image.layers[i]));
    written.layer_blobs.push_back(blob);
    config.diff_ids.push_back(blob);  // uncompressed: the blob is its own diff
    manifest.layers.push_back({.media_type = std::string(media_type::kOciLayerTar),
                               .digest = blob,
                               .size = static_cast<int64_t>(image.layers[i].size())});
    if (image.history.empty()) {
      HistoryEntry step;
      step.created = image.created;
      step.created_by = absl::StrCat("ADD layer ", i);
      config.history.push_back(std::move(step));
    }
  }
  written.chain_ids = ChainIds(config.diff_ids);

  const std::string config_bytes = SerializeImageConfig(config);
  BERTH_ASSIGN_OR_RETURN(written.id, root.WriteBlob(ns, "", config_bytes));
  manifest.config = {.media_type = std::string(media_type::kOciConfig),
                     .digest = written.id,
                     .size = static_cast<int64_t>(config_bytes.size())};
  const std::string manifest_bytes = SerializeManifest(manifest);
  BERTH_ASSIGN_OR_RETURN(Digest manifest_digest, root.WriteBlob(ns, "", manifest_bytes));
  written.target = {.media_type = std::string(media_type::kOciManifest),
                    .digest = manifest_digest,
                    .size = static_cast<int64_t>(manifest_bytes.size())};

  // The labels a pull leaves: manifest → config and layers, config → top snapshot.
  Labels manifest_labels{{absl::StrCat(kGcRefContentLabel, ".config"), written.id.str()}};
  for (size_t i = 0; i < written.layer_blobs.size(); ++i) {
    manifest_labels[absl::StrCat(kGcRefContentLabel, ".l.", i)] = written.layer_blobs[i].str();
  }
  BERTH_RETURN_IF_ERROR(root.metadata().SetContentLabels(ns, manifest_digest, manifest_labels));
  if (!written.chain_ids.empty()) {
    BERTH_RETURN_IF_ERROR(root.metadata().SetContentLabels(
        ns, written.id,
        {{absl::StrCat(kGcRefSnapshotLabelPrefix, root.snapshotter().name()),
          written.chain_ids.back().str()}}));
  }

  if (image.unpack) {
    NamespacedSnapshotter snapshots = root.SnapshotsOf(ns);
    LayerUnpacker unpacker(root.content(), snapshots);
    Digest parent;
    for (size_t i = 0; i < written.layer_blobs.size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(UnpackedLayer layer,
                             unpacker.Unpack(parent, written.layer_blobs[i], config.diff_ids[i]));
      parent = layer.chain_id;
    }
  }
  return written;
}

absl::StatusOr<WrittenImage> AddTestImage(ImageRoot& root, const std::string& ns,
                                          const std::string& name, const TestImage& image) {
  BERTH_ASSIGN_OR_RETURN(WrittenImage written, WriteTestImage(root, ns, image));
  ImageRecord record;
  record.name = name;
  record.target = written.target;
  BERTH_RETURN_IF_ERROR(root.metadata().PutImage(ns, record).status());
  return written;
}

}  // namespace berth::images::testing
