// Pull: resolve a reference at its registry, fetch manifest and config, download layers
// in parallel into the content store and unpack each as soon as its parent is committed.
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

// Where a layer of a pull stands; LayerStateText gives Docker's words for each.
enum class LayerState {
  kPullingFsLayer,
  kWaiting,
  kDownloading,
  kVerifying,
  kDownloadComplete,
  kExtracting,
  kPullComplete,
  kAlreadyExists,
};
absl::string_view LayerStateText(LayerState state);  // "Pulling fs layer", "Waiting", ...

// One line of Docker's pull output.
struct PullProgress {
  std::string id;  // 12 hex digits of the layer digest
  Digest digest;
  LayerState state = LayerState::kPullingFsLayer;
  int64_t current = 0;
  int64_t total = 0;
};
using PullProgressFn = std::function<void(const PullProgress&)>;

struct PullOptions {
  std::string ns = "default";
  std::string reference;
  std::optional<Platform> platform;  // the host's when unset
  std::optional<Credentials> credentials;
  int max_concurrent_downloads = 3;  // Docker's default
  bool skip_unpack = false;
  Labels labels;  // on the image record
};

struct PullResult {
  std::string name;  // normalised: docker.io/library/busybox:latest
  std::string familiar_name;
  Digest digest;         // of the manifest or index the reference names
  Digest image_id;       // the config's digest
  bool updated = false;  // false: "Image is up to date"
};

class ImagePuller {
 public:
  explicit ImagePuller(ImageRoot& root) : root_(root) {}

  absl::StatusOr<PullResult> Pull(const PullOptions& options, const PullProgressFn& progress);

 private:
  absl::StatusOr<PullResult> PullOnce(const PullOptions& options, const PullProgressFn& progress);

  ImageRoot& root_;
};

}  // namespace berth::images
