// An image record followed through the content store: index → the platform's manifest →
// config, plus the chain IDs its layers unpack to.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "services/images/core/content_store.h"
#include "services/images/core/image_config.h"
#include "services/images/core/image_manifest.h"
#include "services/images/core/metadata_store.h"
#include "services/images/core/platform.h"

namespace berth::images {

inline constexpr int64_t kMaxManifestBytes = 4 << 20;
inline constexpr int64_t kMaxConfigBytes = 8 << 20;

struct ResolvedImage {
  Descriptor target;  // what the record points at (an index or a manifest)
  Descriptor manifest_descriptor;
  ImageManifest manifest;
  ImageConfig config;
  std::vector<Digest> chain_ids;  // one per layer, base first

  // Docker's image ID: the config's digest.
  const Digest& id() const { return manifest.config.digest; }
  const Digest& top_chain_id() const { return chain_ids.back(); }
};

// Chain IDs of `diff_ids`, base first.
std::vector<Digest> ChainIds(const std::vector<Digest>& diff_ids);

// Follows `target` for `platform`. FailedPrecondition when a blob it needs is not in the
// store (for instance another platform's manifest of a pulled index).
absl::StatusOr<ResolvedImage> ResolveImage(const ContentStore& content, const ImageTarget& target,
                                           const Platform& platform);

}  // namespace berth::images
