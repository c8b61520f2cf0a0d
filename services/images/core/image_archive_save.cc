#include "services/images/core/image_archive_save.h"

#include <archive_entry.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/images/core/image_archive_load.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/image_root.h"
#include "services/images/core/resolved_image.h"
#include "services/images/core/tar_stream.h"

namespace berth::images {
namespace {

constexpr size_t kChunk = 1 << 20;

struct SavedImage {
  std::string name;  // as stored; dangling names are not written as tags
  ImageReference reference;
  ResolvedImage resolved;
};

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

absl::Status WriteEntry(TarWriter& tar, const std::string& path, mode_t type, int64_t size) {
  std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), path.c_str());
  archive_entry_set_filetype(entry.get(), type);
  archive_entry_set_perm(entry.get(), type == AE_IFDIR ? 0755 : 0444);
  archive_entry_set_size(entry.get(), size);
  archive_entry_set_mtime(entry.get(), 0, 0);
  return tar.WriteHeader(entry.get());
}

absl::Status WriteFile(TarWriter& tar, const std::string& path, absl::string_view data) {
  BERTH_RETURN_IF_ERROR(WriteEntry(tar, path, AE_IFREG, static_cast<int64_t>(data.size())));
  return tar.WriteData(data.data(), data.size());
}

absl::Status WriteBlob(TarWriter& tar, const ContentStore& content, const Digest& digest) {
  BERTH_ASSIGN_OR_RETURN(ContentInfo info, content.Info(digest));
  BERTH_ASSIGN_OR_RETURN(UniqueFd blob, content.OpenBlob(digest));
  BERTH_RETURN_IF_ERROR(
      WriteEntry(tar, absl::StrCat("blobs/sha256/", digest.hex()), AE_IFREG, info.size));
  std::string buffer(kChunk, '\0');
  int64_t left = info.size;
  while (left > 0) {
    ssize_t n = ::read(blob.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::DataLossError(absl::StrCat("reading blob ", digest.str()));
    BERTH_RETURN_IF_ERROR(tar.WriteData(buffer.data(), static_cast<size_t>(n)));
    left -= n;
  }
  return absl::OkStatus();
}

absl::StatusOr<SavedImage> FindImage(ImageRoot& root, const std::string& ns,
                                     const std::string& name, const Platform& platform) {
  SavedImage image;
  image.name = name;
  if (!absl::StartsWith(name, kDanglingImagePrefix)) {
    BERTH_ASSIGN_OR_RETURN(image.reference, ParseImageReference(name));
    image.name = image.reference.String();
  }
  absl::StatusOr<ImageRecord> record = root.metadata().GetImage(ns, image.name);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(absl::StrCat("No such image: ", name));
  }
  BERTH_RETURN_IF_ERROR(record.status());
  BERTH_ASSIGN_OR_RETURN(image.resolved, ResolveImage(root.content(), record->target, platform));
  return image;
}

std::string DockerManifestJson(const std::vector<SavedImage>& images) {
  nlohmann::json entries = nlohmann::json::array();
  std::map<Digest, size_t> by_manifest;
  for (const SavedImage& image : images) {
    const Digest& manifest = image.resolved.manifest_descriptor.digest;
    auto [it, added] = by_manifest.try_emplace(manifest, entries.size());
    if (added) {
      nlohmann::json layers = nlohmann::json::array();
      for (const Descriptor& layer : image.resolved.manifest.layers) {
        layers.push_back(absl::StrCat("blobs/sha256/", layer.digest.hex()));
      }
      entries.push_back({{"Config", absl::StrCat("blobs/sha256/", image.resolved.id().hex())},
                         {"RepoTags", nlohmann::json::array()},
                         {"Layers", std::move(layers)}});
    }
    if (!image.reference.path.empty() && image.reference.digest.empty()) {
      entries[it->second]["RepoTags"].push_back(image.reference.FamiliarString());
    }
  }
  return entries.dump();
}

std::string RepositoriesJson(const std::vector<SavedImage>& images) {
  nlohmann::json repos = nlohmann::json::object();
  for (const SavedImage& image : images) {
    if (image.reference.path.empty() || !image.reference.digest.empty()) continue;
    std::string familiar = image.reference.FamiliarString();  // "<repository>:<tag>"
    familiar.resize(familiar.size() - image.reference.tag.size() - 1);
    repos[familiar][image.reference.tag] =
        std::string(image.resolved.manifest.layers.back().digest.hex());
  }
  return repos.dump();
}

std::string OciIndexJson(const std::vector<SavedImage>& images) {
  ImageIndex index;
  index.media_type = std::string(media_type::kOciIndex);
  for (const SavedImage& image : images) {
    Descriptor entry = image.resolved.manifest_descriptor;
    entry.platform.reset();
    entry.annotations.clear();
    if (!image.reference.path.empty()) {
      entry.annotations["io.containerd.image.name"] = image.name;
      entry.annotations["org.opencontainers.image.ref.name"] = image.reference.TagOrDigest();
    }
    index.manifests.push_back(std::move(entry));
  }
  return SerializeIndex(index);
}

}  // namespace

absl::Status SaveImages(ImageRoot& root, const std::string& ns,
                        const std::vector<std::string>& names, int fd, const SaveOptions& options) {
  if (names.empty()) return absl::InvalidArgumentError("no images to save");
  const Platform platform = options.platform.value_or(HostPlatform());
  std::vector<SavedImage> images;
  for (const std::string& name : names) {
    BERTH_ASSIGN_OR_RETURN(SavedImage image, FindImage(root, ns, name, platform));
    images.push_back(std::move(image));
  }
  const bool oci = options.format != SaveFormat::kDocker;
  const bool docker = options.format != SaveFormat::kOci;
  std::vector<Digest> blobs;
  std::set<Digest> seen;
  auto add = [&](const Digest& digest) {
    if (seen.insert(digest).second) blobs.push_back(digest);
  };
  for (const SavedImage& image : images) {
    if (oci) add(image.resolved.manifest_descriptor.digest);
    add(image.resolved.id());
    for (const Descriptor& layer : image.resolved.manifest.layers) add(layer.digest);
  }
  for (const Digest& digest : blobs) {
    if (!root.content().Info(digest).ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("blob ", digest.str(), " of the image is not in the content store"));
    }
  }

  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<TarWriter> tar, TarWriter::Open(fd, /*gzip=*/false));
  BERTH_RETURN_IF_ERROR(WriteEntry(*tar, "blobs", AE_IFDIR, 0));
  BERTH_RETURN_IF_ERROR(WriteEntry(*tar, "blobs/sha256", AE_IFDIR, 0));
  for (const Digest& digest : blobs) BERTH_RETURN_IF_ERROR(WriteBlob(*tar, root.content(), digest));
  if (oci) {
    BERTH_RETURN_IF_ERROR(WriteFile(*tar, "index.json", OciIndexJson(images)));
    BERTH_RETURN_IF_ERROR(WriteFile(*tar, "oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  }
  if (docker) {
    BERTH_RETURN_IF_ERROR(WriteFile(*tar, "manifest.json", DockerManifestJson(images)));
    BERTH_RETURN_IF_ERROR(WriteFile(*tar, "repositories", RepositoriesJson(images)));
  }
  return tar->Finish().status();
}

}  // namespace berth::images
