// `docker import`: a one-layer image from a filesystem tarball.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/images/core/image_manifest.h"
#include "services/images/core/metadata_store.h"
#include "services/images/core/platform.h"

namespace berth::images {

class ImageRoot;

struct ImportOptions {
  std::string reference{};             // tag the image when set
  std::vector<std::string> changes{};  // Dockerfile instructions (image_config_changes.h)
  std::string message{};               // the history comment; "Imported from -" when empty
  std::optional<Platform> platform{};  // the config's os/architecture; unset: the host's
  Labels labels{};                     // on the image record
};

struct ImportedImage {
  Digest image_id{};                    // the config's digest
  Descriptor manifest{};                // what the record points at
  std::optional<ImageRecord> record{};  // when a reference was given
};

// Reads the tarball (plain, gzip, xz, bzip2 or zstd) from `fd` once and stores it
// uncompressed as the layer, so its digest is the diff ID; writes a config with the
// changes applied and a history entry, and an OCI manifest; unpacks the layer into
// namespace `ns`'s snapshots. Without a reference the image gets a dangling name
// (kDanglingImagePrefix).
absl::StatusOr<ImportedImage> ImportRootfs(ImageRoot& root, const std::string& ns, int fd,
                                           const ImportOptions& options);

}  // namespace berth::images
