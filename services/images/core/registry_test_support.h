// Test helpers for pull and push against a real registry: layers built here and images
// pushed to the registry with the registry client alone, as an independent producer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/images/core/digest.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/layer_test_support.h"
#include "services/images/core/registry_client.h"

namespace berth::images::testing {

struct PushedLayer {
  std::string blob;  // the layer as the registry holds it: gzip'd or plain tar
  Digest diff_id;
};

// A gzip'd tar of `entries`.
PushedLayer GzipLayer(const std::vector<TarEntry>& entries);

// `size` bytes that do not compress (xorshift from `seed`), for large layers.
std::string Noise(size_t size, uint64_t seed = 0x9e3779b97f4a7c15ull);

// Uploads `blob` to `repo` in one PUT.
absl::Status UploadBytes(RegistryClient& client, const ImageReference& repo,
                         const std::string& blob);

// Pushes an image of `layers` (base first; a config for the host's platform, CMD sh)
// to `reference` ("127.0.0.1:5000/repo:tag"); returns the manifest's digest.
absl::StatusOr<Digest> PushTestImage(const std::string& reference,
                                     const std::vector<PushedLayer>& layers);

}  // namespace berth::images::testing
