// OCI and Docker image manifests and indexes (manifest lists): media types, descriptors,
// parsing with errors that name the bad field, canonical serialisation, and picking the
// manifest for a platform.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/images/core/digest.h"
#include "services/images/core/platform.h"

namespace berth::images {

namespace media_type {
inline constexpr absl::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr absl::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr absl::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr absl::string_view kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr absl::string_view kOciLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr absl::string_view kOciLayerTarZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr absl::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr absl::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr absl::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr absl::string_view kDockerLayerTarGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr absl::string_view kDockerForeignLayerTarGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
inline constexpr absl::string_view kDockerSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr absl::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
}  // namespace media_type

bool IsIndexMediaType(absl::string_view type);
bool IsManifestMediaType(absl::string_view type);
bool IsConfigMediaType(absl::string_view type);
bool IsSchema1MediaType(absl::string_view type);

enum class LayerCompression { kNone, kGzip, kZstd };
// The compression of a layer media type; InvalidArgument for a type that is not a layer.
absl::StatusOr<LayerCompression> LayerCompressionOf(absl::string_view type);

// The Accept header value a registry is asked with when resolving a reference.
std::string ManifestAcceptHeader();

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls{};
  std::map<std::string, std::string> annotations{};
  std::optional<Platform> platform{};  // index entries only

  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

struct ImageIndex {
  int64_t schema_version = 2;
  std::string media_type;  // may be empty in OCI indexes
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

struct ImageManifest {
  int64_t schema_version = 2;
  std::string media_type;  // may be empty in OCI manifests
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

// What `bytes` are: the "mediaType" field, else guessed from the shape (OCI allows it to
// be absent). Schema 1 is FailedPrecondition telling the user to re-push.
absl::StatusOr<std::string> DetectManifestMediaType(absl::string_view bytes);

// FailedPrecondition: "unsupported manifest format: Docker schema 1 (<type>) — re-push …".
absl::Status Schema1Error(absl::string_view media_type);

absl::StatusOr<ImageIndex> ParseIndex(absl::string_view bytes);
absl::StatusOr<ImageManifest> ParseManifest(absl::string_view bytes);

// Compact JSON with sorted keys, so equal values give equal bytes (and digests).
std::string SerializeIndex(const ImageIndex& index);
std::string SerializeManifest(const ImageManifest& manifest);

// The entry for `platform`: an exact variant match first, then a compatible one.
// NotFound with Docker's wording when there is none.
absl::StatusOr<Descriptor> SelectManifest(const ImageIndex& index, const Platform& platform);

}  // namespace berth::images
