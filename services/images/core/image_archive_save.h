// `docker save`: named images written as one tar, in Docker's layout, the OCI image
// layout, or both at once as Docker 25 writes it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/images/core/platform.h"

namespace berth::images {

class ImageRoot;

enum class SaveFormat {
  kDockerAndOci,  // blobs/sha256, index.json, oci-layout, manifest.json, repositories
  kDocker,        // blobs/sha256, manifest.json, repositories
  kOci,           // blobs/sha256, index.json, oci-layout
};

struct SaveOptions {
  SaveFormat format = SaveFormat::kDockerAndOci;
  std::optional<Platform> platform{};  // the manifest saved of an index; unset: the host's
};

// Writes the images `names` (references as `docker save` takes them) of namespace `ns`
// to `fd`, layers as stored. NotFound names the first image that does not exist; nothing
// is written then. A write error (a closed pipe) ends the save with that error.
absl::Status SaveImages(ImageRoot& root, const std::string& ns,
                        const std::vector<std::string>& names, int fd, const SaveOptions& options);

}  // namespace berth::images
