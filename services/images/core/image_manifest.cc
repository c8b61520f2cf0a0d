#include "services/images/core/image_manifest.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "services/images/core/json_fields.h"

namespace berth::images {
namespace {

using json_fields::Child;
using json_fields::Element;
using json_fields::Json;

// Prefixes a field error with what was being parsed.
absl::Status Invalid(absl::string_view what, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("invalid ", what, ": ", status.message()));
}

absl::Status ReadPlatform(const Json& obj, absl::string_view path, Platform* out) {
  Platform platform;
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(obj, path, "os", true, &platform.os));
  BERTH_RETURN_IF_ERROR(
      json_fields::ReadString(obj, path, "architecture", true, &platform.architecture));
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(obj, path, "variant", false, &platform.variant));
  BERTH_RETURN_IF_ERROR(
      json_fields::ReadString(obj, path, "os.version", false, &platform.os_version));
  BERTH_RETURN_IF_ERROR(
      json_fields::ReadStringList(obj, path, "os.features", &platform.os_features));
  *out = std::move(platform);
  return absl::OkStatus();
}

absl::Status ReadDescriptor(const Json& obj, absl::string_view path, Descriptor* out) {
  if (!obj.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", path, "\" must be an object, not ", obj.type_name()));
  }
  Descriptor d;
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(obj, path, "mediaType", true, &d.media_type));
  BERTH_RETURN_IF_ERROR(json_fields::ReadDigest(obj, path, "digest", &d.digest));
  BERTH_RETURN_IF_ERROR(json_fields::ReadInt64(obj, path, "size", true, &d.size));
  if (d.size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", Child(path, "size"), "\" must not be negative"));
  }
  BERTH_RETURN_IF_ERROR(json_fields::ReadStringList(obj, path, "urls", &d.urls));
  BERTH_RETURN_IF_ERROR(json_fields::ReadStringMap(obj, path, "annotations", &d.annotations));
  BERTH_ASSIGN_OR_RETURN(const Json* platform,
                         json_fields::Member(obj, path, "platform", /*required=*/false));
  if (platform != nullptr) {
    d.platform.emplace();
    BERTH_RETURN_IF_ERROR(ReadPlatform(*platform, Child(path, "platform"), &*d.platform));
  }
  *out = std::move(d);
  return absl::OkStatus();
}

absl::Status ReadDescriptors(const Json& obj, const char* key, std::vector<Descriptor>* out) {
  BERTH_ASSIGN_OR_RETURN(const Json* list, json_fields::Member(obj, "", key, true, true));
  for (size_t i = 0; i < list->size(); ++i) {
    out->emplace_back();
    BERTH_RETURN_IF_ERROR(ReadDescriptor((*list)[i], Element(key, i), &out->back()));
  }
  return absl::OkStatus();
}

// Schema version and media type shared by indexes and manifests; refuses schema 1.
absl::Status ReadHeader(const Json& obj, int64_t* schema_version, std::string* media_type) {
  BERTH_RETURN_IF_ERROR(json_fields::ReadInt64(obj, "", "schemaVersion", true, schema_version));
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(obj, "", "mediaType", false, media_type));
  if (*schema_version == 1 || IsSchema1MediaType(*media_type)) {
    return Schema1Error(media_type->empty() ? media_type::kDockerSchema1 : *media_type);
  }
  if (*schema_version != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported schemaVersion ", *schema_version, ": want 2"));
  }
  return absl::OkStatus();
}

Json PlatformJson(const Platform& p) {
  Json j = {{"os", p.os}, {"architecture", p.architecture}};
  if (!p.variant.empty()) j["variant"] = p.variant;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  if (!p.os_features.empty()) j["os.features"] = p.os_features;
  return j;
}

Json DescriptorJson(const Descriptor& d) {
  Json j = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform.has_value()) j["platform"] = PlatformJson(*d.platform);
  return j;
}

}  // namespace

absl::Status Schema1Error(absl::string_view type) {
  return absl::FailedPreconditionError(
      absl::StrCat("unsupported manifest format: Docker schema 1 (", type,
                   ") — re-push the image with a current client"));
}

bool IsIndexMediaType(absl::string_view type) {
  return type == media_type::kOciIndex || type == media_type::kDockerManifestList;
}

bool IsManifestMediaType(absl::string_view type) {
  return type == media_type::kOciManifest || type == media_type::kDockerManifest;
}

bool IsConfigMediaType(absl::string_view type) {
  return type == media_type::kOciConfig || type == media_type::kDockerConfig;
}

bool IsSchema1MediaType(absl::string_view type) {
  return type == media_type::kDockerSchema1 || type == media_type::kDockerSchema1Signed;
}

absl::StatusOr<LayerCompression> LayerCompressionOf(absl::string_view type) {
  if (type == media_type::kOciLayerTar) return LayerCompression::kNone;
  if (type == media_type::kOciLayerTarGzip || type == media_type::kDockerLayerTarGzip ||
      type == media_type::kDockerForeignLayerTarGzip) {
    return LayerCompression::kGzip;
  }
  if (type == media_type::kOciLayerTarZstd) return LayerCompression::kZstd;
  return absl::InvalidArgumentError(absl::StrCat("unsupported layer media type \"", type, "\""));
}

std::string ManifestAcceptHeader() {
  return absl::StrJoin({media_type::kOciIndex, media_type::kOciManifest,
                        media_type::kDockerManifestList, media_type::kDockerManifest},
                       ", ");
}

absl::StatusOr<std::string> DetectManifestMediaType(absl::string_view bytes) {
  BERTH_ASSIGN_OR_RETURN(Json json, json_fields::ParseObject(bytes, "manifest"));
  int64_t schema_version = 0;
  std::string type;
  if (absl::Status s = ReadHeader(json, &schema_version, &type); !s.ok()) {
    return s.code() == absl::StatusCode::kFailedPrecondition ? s : Invalid("manifest", s);
  }
  if (!type.empty()) return type;
  if (json.contains("manifests")) return std::string(media_type::kOciIndex);
  if (json.contains("config") && json.contains("layers")) {
    return std::string(media_type::kOciManifest);
  }
  return absl::InvalidArgumentError(
      "invalid manifest: no mediaType, and neither \"manifests\" nor \"config\" and \"layers\"");
}

absl::StatusOr<ImageIndex> ParseIndex(absl::string_view bytes) {
  constexpr absl::string_view kWhat = "image index";
  BERTH_ASSIGN_OR_RETURN(Json json, json_fields::ParseObject(bytes, kWhat));
  ImageIndex index;
  absl::Status status = ReadHeader(json, &index.schema_version, &index.media_type);
  if (status.ok() && !index.media_type.empty() && !IsIndexMediaType(index.media_type)) {
    status = absl::InvalidArgumentError(
        absl::StrCat("mediaType \"", index.media_type, "\" is not an index"));
  }
  if (status.ok()) status = ReadDescriptors(json, "manifests", &index.manifests);
  if (status.ok()) {
    status = json_fields::ReadStringMap(json, "", "annotations", &index.annotations);
  }
  if (status.code() == absl::StatusCode::kFailedPrecondition) return status;
  if (!status.ok()) return Invalid(kWhat, status);
  return index;
}

absl::StatusOr<ImageManifest> ParseManifest(absl::string_view bytes) {
  constexpr absl::string_view kWhat = "image manifest";
  BERTH_ASSIGN_OR_RETURN(Json json, json_fields::ParseObject(bytes, kWhat));
  ImageManifest manifest;
  absl::Status status = ReadHeader(json, &manifest.schema_version, &manifest.media_type);
  if (status.ok() && !manifest.media_type.empty() && !IsManifestMediaType(manifest.media_type)) {
    status = absl::InvalidArgumentError(
        absl::StrCat("mediaType \"", manifest.media_type, "\" is not an image manifest"));
  }
  if (status.ok()) {
    auto config = json_fields::Member(json, "", "config", /*required=*/true);
    status = config.ok() ? ReadDescriptor(**config, "config", &manifest.config) : config.status();
  }
  if (status.ok()) status = ReadDescriptors(json, "layers", &manifest.layers);
  if (status.ok()) {
    status = json_fields::ReadStringMap(json, "", "annotations", &manifest.annotations);
  }
  if (status.code() == absl::StatusCode::kFailedPrecondition) return status;
  if (!status.ok()) return Invalid(kWhat, status);
  return manifest;
}

std::string SerializeIndex(const ImageIndex& index) {
  Json j = {{"schemaVersion", index.schema_version}, {"manifests", Json::array()}};
  if (!index.media_type.empty()) j["mediaType"] = index.media_type;
  for (const Descriptor& d : index.manifests) j["manifests"].push_back(DescriptorJson(d));
  if (!index.annotations.empty()) j["annotations"] = index.annotations;
  return j.dump();
}

std::string SerializeManifest(const ImageManifest& manifest) {
  Json j = {{"schemaVersion", manifest.schema_version},
            {"config", DescriptorJson(manifest.config)},
            {"layers", Json::array()}};
  if (!manifest.media_type.empty()) j["mediaType"] = manifest.media_type;
  for (const Descriptor& d : manifest.layers) j["layers"].push_back(DescriptorJson(d));
  if (!manifest.annotations.empty()) j["annotations"] = manifest.annotations;
  return j.dump();
}

absl::StatusOr<Descriptor> SelectManifest(const ImageIndex& index, const Platform& platform) {
  Platform wanted = NormalizePlatform(platform);
  const Descriptor* compatible = nullptr;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform.has_value() || !IsManifestMediaType(d.media_type)) continue;
    if (!PlatformMatches(wanted, *d.platform)) continue;
    if (NormalizePlatform(*d.platform).variant == wanted.variant) return d;
    if (compatible == nullptr) compatible = &d;
  }
  if (compatible != nullptr) return *compatible;
  return absl::NotFoundError(
      absl::StrCat("no matching manifest for ", wanted.String(), " in the manifest list entries"));
}

}  // namespace berth::images
