// Push: upload a local image's blobs to a registry (skipping those it has, mounting those
// another of its repositories has), then its manifests, the exact stored bytes, so the
// registry's digests are the local ones.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "services/images/core/image_root.h"
#include "services/images/core/platform.h"
#include "services/images/core/registry_auth.h"

namespace berth::images {

// Where a layer of a push stands; PushStateText gives Docker's words for each.
enum class PushState {
  kPreparing,
  kWaiting,
  kPushing,
  kPushed,
  kLayerExists,
  kMounted,
};
// "Preparing", "Waiting", "Pushing", "Pushed", "Layer already exists", "Mounted from".
absl::string_view PushStateText(PushState state);

// One line of Docker's push output.
struct PushProgress {
  std::string id;  // 12 hex digits of the layer digest
  Digest digest;
  PushState state = PushState::kPreparing;
  int64_t current = 0;
  int64_t total = 0;
  std::string mounted_from;  // kMounted: the repository's path on the registry
};
using PushProgressFn = std::function<void(const PushProgress&)>;

struct PushOptions {
  std::string ns = "default";
  std::string reference;  // a local image's name, which names the target repository
  // Push only this platform's manifest of an index, under the tag. Unset: the whole
  // index, with the child manifests present locally (others must be in the repository).
  std::optional<Platform> platform;
  std::optional<Credentials> credentials;
  int max_concurrent_uploads = 5;  // Docker's default
};

struct PushResult {
  std::string reference;  // normalised: 127.0.0.1:5000/library/busybox:v1
  Digest digest;          // of the manifest or index stored under the tag
  int64_t size = 0;       // of that manifest or index
};

// Blobs larger than this go up in chunks (PATCHes of kPushChunkBytes), others in one PUT.
inline constexpr int64_t kMonolithicPushLimit = 16 << 20;
inline constexpr int64_t kPushChunkBytes = 8 << 20;

class ImagePusher {
 public:
  explicit ImagePusher(ImageRoot& root) : root_(root) {}

  // NotFound "An image does not exist locally with the tag: <name>" unless the
  // reference names a local image (tag it first, as with Docker).
  absl::StatusOr<PushResult> Push(const PushOptions& options, const PushProgressFn& progress);

 private:
  ImageRoot& root_;
};

}  // namespace berth::images
