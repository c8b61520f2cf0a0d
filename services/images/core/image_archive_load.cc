#include "services/images/core/image_archive_load.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/images/core/image_archive_reader.h"
#include "services/images/core/image_archive_record.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/image_root.h"
#include "services/images/core/resolved_image.h"

namespace berth::images {
namespace {

constexpr char kContainerdImageName[] = "io.containerd.image.name";
constexpr char kOciRefName[] = "org.opencontainers.image.ref.name";
// Docker's type for an uncompressed layer (containerd writes it for docker-archive too).
constexpr char kDockerLayerTar[] = "application/vnd.docker.image.rootfs.diff.tar";

struct PlannedImage {
  ArchiveImage image;
  std::vector<std::string> names;
  std::string manifest_bytes;  // a manifest made for a docker-archive image, to store
};

absl::StatusOr<std::string> NormalizedName(absl::string_view text) {
  BERTH_ASSIGN_OR_RETURN(ImageReference ref, ParseImageReference(text));
  return ref.String();
}

absl::Status RequireBlob(const StagedArchive& staged, const ContentStore& content,
                         const Descriptor& descriptor, absl::string_view what) {
  if (staged.Blob(descriptor.digest) != nullptr || content.Info(descriptor.digest).ok()) {
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("invalid image archive: ", what, " ",
                                          descriptor.digest.str(), " is named but not in it"));
}

// Reads and checks the manifest and config `image.manifest_descriptor` names.
absl::Status CompleteImage(const StagedArchive& staged, const ContentStore& content,
                           ArchiveImage& image) {
  BERTH_ASSIGN_OR_RETURN(std::string bytes,
                         staged.Read(image.manifest_descriptor.digest, kMaxManifestBytes));
  BERTH_ASSIGN_OR_RETURN(image.manifest, ParseManifest(bytes));
  BERTH_ASSIGN_OR_RETURN(std::string config,
                         staged.Read(image.manifest.config.digest, kMaxConfigBytes));
  BERTH_ASSIGN_OR_RETURN(image.config, ParseImageConfig(config));
  BERTH_RETURN_IF_ERROR(CheckLayerCount(image.manifest, image.config));
  for (const Descriptor& layer : image.manifest.layers) {
    BERTH_RETURN_IF_ERROR(RequireBlob(staged, content, layer, "layer"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PlannedImage>> PlanOci(const StagedArchive& staged,
                                                  const ContentStore& content,
                                                  const std::string& index_json,
                                                  const Platform& platform) {
  BERTH_ASSIGN_OR_RETURN(ImageIndex index, ParseIndex(index_json));
  std::vector<PlannedImage> planned;
  for (const Descriptor& entry : index.manifests) {
    std::string name;
    if (auto it = entry.annotations.find(kContainerdImageName); it != entry.annotations.end()) {
      name = it->second;
    } else if (auto ref = entry.annotations.find(kOciRefName);
               ref != entry.annotations.end() &&
               (absl::StrContains(ref->second, ':') || absl::StrContains(ref->second, '/'))) {
      name = ref->second;  // a bare tag names nothing on its own
    }
    if (!name.empty()) {
      BERTH_ASSIGN_OR_RETURN(name, NormalizedName(name));
    }

    auto same = std::find_if(planned.begin(), planned.end(), [&](const PlannedImage& p) {
      return p.image.target.digest == entry.digest;
    });
    if (same != planned.end()) {
      if (!name.empty()) same->names.push_back(name);
      continue;
    }
    PlannedImage plan;
    plan.image.target = entry;
    plan.image.target.annotations.clear();
    plan.image.manifest_descriptor = plan.image.target;
    if (IsIndexMediaType(entry.media_type)) {
      BERTH_ASSIGN_OR_RETURN(std::string bytes, staged.Read(entry.digest, kMaxManifestBytes));
      BERTH_ASSIGN_OR_RETURN(plan.image.index, ParseIndex(bytes));
      BERTH_ASSIGN_OR_RETURN(plan.image.manifest_descriptor,
                             SelectManifest(*plan.image.index, platform));
    } else if (!IsManifestMediaType(entry.media_type)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid image archive: index.json names a \"",
                                                     entry.media_type, "\", not an image"));
    }
    BERTH_RETURN_IF_ERROR(CompleteImage(staged, content, plan.image));
    if (!name.empty()) plan.names.push_back(name);
    planned.push_back(std::move(plan));
  }
  return planned;
}

std::string LayerMediaType(const StagedBlob& blob) {
  if (absl::StartsWith(blob.head, "\x1f\x8b")) return std::string(media_type::kDockerLayerTarGzip);
  if (absl::StartsWith(blob.head, "\x28\xb5\x2f\xfd")) {
    return std::string(media_type::kOciLayerTarZstd);
  }
  return kDockerLayerTar;
}

absl::StatusOr<std::vector<PlannedImage>> PlanDocker(const StagedArchive& staged,
                                                     const std::string& manifest_json) {
  nlohmann::json entries;
  try {
    entries = nlohmann::json::parse(manifest_json);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid manifest.json: ", e.what()));
  }
  if (!entries.is_array()) return absl::InvalidArgumentError("manifest.json is not a list");
  std::vector<PlannedImage> planned;
  for (const nlohmann::json& entry : entries) {
    if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string() ||
        !entry.contains("Layers") || !entry["Layers"].is_array()) {
      return absl::InvalidArgumentError("manifest.json: an entry lacks Config or Layers");
    }
    PlannedImage plan;
    ImageManifest& manifest = plan.image.manifest;
    manifest.media_type = std::string(media_type::kDockerManifest);
    BERTH_ASSIGN_OR_RETURN(const StagedBlob* config,
                           staged.BlobAt(entry["Config"].get<std::string>()));
    manifest.config = {.media_type = std::string(media_type::kDockerConfig),
                       .digest = config->digest,
                       .size = config->size};
    for (const nlohmann::json& path : entry["Layers"]) {
      if (!path.is_string()) return absl::InvalidArgumentError("manifest.json: a layer path");
      BERTH_ASSIGN_OR_RETURN(const StagedBlob* layer, staged.BlobAt(path.get<std::string>()));
      manifest.layers.push_back(
          {.media_type = LayerMediaType(*layer), .digest = layer->digest, .size = layer->size});
    }
    if (entry.contains("RepoTags") && entry["RepoTags"].is_array()) {
      for (const nlohmann::json& tag : entry["RepoTags"]) {
        if (!tag.is_string()) continue;
        BERTH_ASSIGN_OR_RETURN(std::string name, NormalizedName(tag.get<std::string>()));
        plan.names.push_back(std::move(name));
      }
    }
    plan.manifest_bytes = SerializeManifest(manifest);
    plan.image.target = {.media_type = manifest.media_type,
                         .digest = Digest::Of(plan.manifest_bytes),
                         .size = static_cast<int64_t>(plan.manifest_bytes.size())};
    plan.image.manifest_descriptor = plan.image.target;
    BERTH_ASSIGN_OR_RETURN(std::string config_bytes, staged.Read(config->digest, kMaxConfigBytes));
    BERTH_ASSIGN_OR_RETURN(plan.image.config, ParseImageConfig(config_bytes));
    BERTH_RETURN_IF_ERROR(CheckLayerCount(manifest, plan.image.config));
    planned.push_back(std::move(plan));
  }
  return planned;
}

}  // namespace

absl::StatusOr<std::vector<LoadedImage>> LoadImages(ImageRoot& root, const std::string& ns, int fd,
                                                    const LoadOptions& options) {
  BERTH_ASSIGN_OR_RETURN(std::string lease, CreateTransferLease(root, ns, "load"));
  absl::Cleanup end_lease = [&] { (void)root.metadata().DeleteLease(ns, lease); };
  BERTH_ASSIGN_OR_RETURN(
      std::unique_ptr<StagedArchive> staged,
      StagedArchive::Read(root.content(), fd, absl::StrCat("load-", lease, "-")));

  std::vector<PlannedImage> planned;
  if (const std::string* index = staged->File("index.json"); index != nullptr) {
    BERTH_ASSIGN_OR_RETURN(planned, PlanOci(*staged, root.content(), *index,
                                            options.platform.value_or(HostPlatform())));
  } else if (const std::string* manifest = staged->File("manifest.json"); manifest != nullptr) {
    BERTH_ASSIGN_OR_RETURN(planned, PlanDocker(*staged, *manifest));
  } else {
    return absl::InvalidArgumentError(
        "invalid image archive: it has neither manifest.json (docker-archive) nor index.json "
        "(OCI layout)");
  }
  if (planned.empty()) return absl::InvalidArgumentError("the image archive holds no images");

  BERTH_RETURN_IF_ERROR(staged->CommitAll(root, ns, lease));
  std::vector<LoadedImage> loaded;
  for (PlannedImage& plan : planned) {
    if (!plan.manifest_bytes.empty()) {
      BERTH_RETURN_IF_ERROR(root.WriteBlob(ns, lease, plan.manifest_bytes).status());
    }
    BERTH_RETURN_IF_ERROR(UnpackImage(root, ns, lease, plan.image));
    const bool dangling = plan.names.empty();
    if (dangling) {
      plan.names.push_back(absl::StrCat(kDanglingImagePrefix, plan.image.target.digest.str()));
    }
    BERTH_RETURN_IF_ERROR(NameImage(root, ns, plan.names, plan.image.target).status());
    for (const std::string& name : plan.names) {
      loaded.push_back({dangling ? "" : name, plan.image.manifest.config.digest});
    }
  }
  return loaded;
}

}  // namespace berth::images
