// Builds small images straight into an ImageRoot, as a pull would leave them: layer,
// config and manifest blobs with the GC labels that keep them, layers unpacked into
// snapshots named by chain ID, and an image record. For tests only.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/images/core/image_config.h"
#include "services/images/core/image_root.h"

namespace berth::images::testing {

struct TestImage {
  std::vector<std::string> layers;  // uncompressed layer tars, base first
  std::string created = "2024-01-02T03:04:05Z";
  std::string author;
  Labels labels;  // config labels
  std::vector<std::string> cmd;
  std::vector<HistoryEntry> history;  // empty: one "ADD layer <n>" step per layer
  bool unpack = true;
};

struct WrittenImage {
  ImageTarget target;  // the manifest
  Digest id;           // the config's digest
  std::vector<Digest> layer_blobs;
  std::vector<Digest> chain_ids;
};

// Writes `image`'s blobs (and with `unpack` its snapshots) into namespace `ns`.
absl::StatusOr<WrittenImage> WriteTestImage(ImageRoot& root, const std::string& ns,
                                            const TestImage& image);

// WriteTestImage, then a record `name` (a full reference, "docker.io/library/x:latest").
absl::StatusOr<WrittenImage> AddTestImage(ImageRoot& root, const std::string& ns,
                                          const std::string& name, const TestImage& image);

}  // namespace berth::images::testing
