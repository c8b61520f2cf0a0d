#include "services/images/core/registry_test_support.h"

#include <algorithm>
#include <cstring>

#include "common/status_macros.h"
#include "services/images/core/image_config.h"
#include "services/images/core/image_manifest.h"
#include "services/images/core/platform.h"

namespace berth::images::testing {

PushedLayer GzipLayer(const std::vector<TarEntry>& entries) {
  std::string tar = BuildTar(entries);
  return {Compress(tar, Compression::kGzip), Digest::Of(tar)};
}

std::string Noise(size_t size, uint64_t seed) {
  std::string noise(size, '\0');
  uint64_t x = seed;
  for (size_t i = 0; i < size; i += sizeof(x)) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::memcpy(&noise[i], &x, std::min(sizeof(x), size - i));
  }
  return noise;
}

absl::Status UploadBytes(RegistryClient& client, const ImageReference& repo,
                         const std::string& blob) {
  size_t offset = 0;
  return client.UploadBlob(repo, Digest::Of(blob), static_cast<int64_t>(blob.size()),
                           [&](char* buffer, size_t capacity) -> absl::StatusOr<size_t> {
                             size_t n = std::min(capacity, blob.size() - offset);
                             std::memcpy(buffer, blob.data() + offset, n);
                             offset += n;
                             return n;
                           });
}

absl::StatusOr<Digest> PushTestImage(const std::string& reference,
                                     const std::vector<PushedLayer>& layers) {
  BERTH_ASSIGN_OR_RETURN(ImageReference ref, ParseImageReference(reference));
  RegistryClient client;
  ImageConfig config;
  config.architecture = HostPlatform().architecture;
  config.os = "linux";
  config.config.cmd = {"sh"};
  ImageManifest manifest;
  manifest.media_type = std::string(media_type::kOciManifest);
  for (const PushedLayer& layer : layers) {
    config.diff_ids.push_back(layer.diff_id);
    const bool gzip = layer.blob.size() > 2 && layer.blob[0] == '\x1f' && layer.blob[1] == '\x8b';
    manifest.layers.push_back(
        {.media_type = std::string(gzip ? media_type::kOciLayerTarGzip : media_type::kOciLayerTar),
         .digest = Digest::Of(layer.blob),
         .size = static_cast<int64_t>(layer.blob.size())});
    BERTH_RETURN_IF_ERROR(UploadBytes(client, ref, layer.blob));
  }
  std::string config_bytes = SerializeImageConfig(config);
  BERTH_RETURN_IF_ERROR(UploadBytes(client, ref, config_bytes));
  manifest.config = {.media_type = std::string(media_type::kOciConfig),
                     .digest = Digest::Of(config_bytes),
                     .size = static_cast<int64_t>(config_bytes.size())};
  return client.PutManifest(ref, ref.tag, media_type::kOciManifest, SerializeManifest(manifest));
}

}  // namespace berth::images::testing
