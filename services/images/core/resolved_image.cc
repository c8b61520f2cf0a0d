#include "services/images/core/resolved_image.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/images/core/layer_unpacker.h"

namespace berth::images {
namespace {

absl::StatusOr<std::string> ReadPresent(const ContentStore& content, const Digest& digest,
                                        int64_t max_size, absl::string_view what) {
  absl::StatusOr<std::string> bytes = content.ReadBlob(digest, max_size);
  if (bytes.status().code() == absl::StatusCode::kNotFound) {
    return absl::FailedPreconditionError(
        absl::StrCat("the image's ", what, " ", digest.str(), " is not in the content store"));
  }
  return bytes;
}

}  // namespace

std::vector<Digest> ChainIds(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> chain;
  for (const Digest& diff_id : diff_ids) {
    chain.push_back(ChainId(chain.empty() ? Digest() : chain.back(), diff_id));
  }
  return chain;
}

absl::StatusOr<ResolvedImage> ResolveImage(const ContentStore& content, const ImageTarget& target,
                                           const Platform& platform) {
  ResolvedImage image;
  image.target = {.media_type = target.media_type, .digest = target.digest, .size = target.size};
  image.manifest_descriptor = image.target;
  BERTH_ASSIGN_OR_RETURN(std::string bytes,
                         ReadPresent(content, target.digest, kMaxManifestBytes, "manifest"));
  if (IsIndexMediaType(target.media_type)) {
    BERTH_ASSIGN_OR_RETURN(ImageIndex index, ParseIndex(bytes));
    BERTH_ASSIGN_OR_RETURN(image.manifest_descriptor, SelectManifest(index, platform));
    BERTH_ASSIGN_OR_RETURN(bytes, ReadPresent(content, image.manifest_descriptor.digest,
                                              kMaxManifestBytes, "manifest"));
  }
  BERTH_ASSIGN_OR_RETURN(image.manifest, ParseManifest(bytes));
  BERTH_ASSIGN_OR_RETURN(
      std::string config_bytes,
      ReadPresent(content, image.manifest.config.digest, kMaxConfigBytes, "config"));
  BERTH_ASSIGN_OR_RETURN(image.config, ParseImageConfig(config_bytes));
  if (image.config.diff_ids.size() != image.manifest.layers.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("image config lists ", image.config.diff_ids.size(),
                     " layers but the manifest has ", image.manifest.layers.size()));
  }
  if (image.config.diff_ids.empty()) {
    return absl::InvalidArgumentError("image has no layers");
  }
  image.chain_ids = ChainIds(image.config.diff_ids);
  return image;
}

}  // namespace berth::images
