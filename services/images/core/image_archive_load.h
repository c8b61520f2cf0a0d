// `docker load`: images from a docker-archive (manifest.json; the <id>/layer.tar layout
// and Docker 25's blobs/sha256 one) or an OCI image layout tar (index.json).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/images/core/digest.h"
#include "services/images/core/platform.h"

namespace berth::images {

class ImageRoot;

struct LoadOptions {
  std::optional<Platform> platform{};  // the manifest unpacked from an index; unset: the host's
};

struct LoadedImage {
  std::string reference;  // the stored name, "docker.io/library/busybox:latest"; "" if untagged
  Digest image_id;        // the config's digest
};

// Names for images an archive gives none: "berth-dangling@<manifest digest>".
inline constexpr char kDanglingImagePrefix[] = "berth-dangling@";

// Reads the archive from `fd` once, front to back (a pipe will do), into namespace `ns`:
// blobs go to the content store, each image's layers are unpacked and its names recorded.
// Nothing is committed until the whole archive has been read and checked: a name outside
// the archive layout, a blob that does not match its digest or a manifest naming a blob
// the archive lacks is an error that leaves the store and the image list as they were.
absl::StatusOr<std::vector<LoadedImage>> LoadImages(ImageRoot& root, const std::string& ns, int fd,
                                                    const LoadOptions& options);

}  // namespace berth::images
