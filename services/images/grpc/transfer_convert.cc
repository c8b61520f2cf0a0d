#include "services/images/grpc/transfer_convert.h"

#include <google/protobuf/util/time_util.h>

#include <optional>

#include "absl/time/time.h"

namespace berth::images {
namespace {

v1::LayerStatus LayerStatusToProto(LayerState state) {
  switch (state) {
    case LayerState::kPullingFsLayer:
      return v1::LAYER_STATUS_PULLING_FS_LAYER;
    case LayerState::kWaiting:
      return v1::LAYER_STATUS_WAITING;
    case LayerState::kDownloading:
      return v1::LAYER_STATUS_DOWNLOADING;
    case LayerState::kVerifying:
      return v1::LAYER_STATUS_VERIFYING;
    case LayerState::kDownloadComplete:
      return v1::LAYER_STATUS_DOWNLOADED;
    case LayerState::kExtracting:
      return v1::LAYER_STATUS_EXTRACTING;
    case LayerState::kPullComplete:
      return v1::LAYER_STATUS_PULL_COMPLETE;
    case LayerState::kAlreadyExists:
      return v1::LAYER_STATUS_ALREADY_EXISTS;
  }
  return v1::LAYER_STATUS_UNSPECIFIED;
}

v1::LayerStatus PushStatusToProto(PushState state) {
  switch (state) {
    case PushState::kPreparing:
      return v1::LAYER_STATUS_PREPARING;
    case PushState::kWaiting:
      return v1::LAYER_STATUS_WAITING;
    case PushState::kPushing:
      return v1::LAYER_STATUS_PUSHING;
    case PushState::kPushed:
      return v1::LAYER_STATUS_PUSHED;
    case PushState::kLayerExists:
      return v1::LAYER_STATUS_LAYER_EXISTS;
    case PushState::kMounted:
      return v1::LAYER_STATUS_MOUNTED;
  }
  return v1::LAYER_STATUS_UNSPECIFIED;
}

// An unset or empty platform is none.
std::optional<Platform> PlatformFromProto(const types::v1::Platform& proto) {
  if (proto.os().empty()) return std::nullopt;
  Platform platform;
  platform.os = proto.os();
  platform.architecture = proto.architecture();
  platform.variant = proto.variant();
  return NormalizePlatform(platform);
}

std::optional<Credentials> CredentialsFromProto(const v1::RegistryAuth& auth) {
  if (auth.username().empty()) return std::nullopt;
  return Credentials{auth.username(), auth.password()};
}

google::protobuf::Timestamp TimestampOf(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

}  // namespace

absl::StatusOr<PullOptions> PullOptionsFromProto(const v1::PullImageRequest& request,
                                                 const std::string& ns) {
  PullOptions options;
  options.ns = ns;
  options.reference = request.reference();
  options.platform = PlatformFromProto(request.platform());
  options.credentials = CredentialsFromProto(request.auth());
  options.skip_unpack = request.skip_unpack();
  options.labels = Labels(request.labels().begin(), request.labels().end());
  return options;
}

v1::TransferProgress ProgressToProto(const PullProgress& progress) {
  v1::TransferProgress out;
  *out.mutable_time() = TimestampOf(absl::Now());
  v1::LayerProgress* layer = out.add_layers();
  layer->set_id(progress.id);
  layer->set_digest(progress.digest.str());
  layer->set_status(LayerStatusToProto(progress.state));
  layer->set_current(progress.current);
  layer->set_total(progress.total);
  return out;
}

v1::PulledImage PulledImageToProto(const PullResult& result, ImageRoot& root,
                                   const std::string& ns) {
  v1::PulledImage out;
  out.set_image_id(result.image_id.str());
  out.set_digest(result.digest.str());
  out.set_updated(result.updated);
  v1::Image* image = out.mutable_image();
  image->set_name(result.name);
  if (auto record = root.metadata().GetImage(ns, result.name); record.ok()) {
    image->mutable_target()->set_media_type(record->target.media_type);
    image->mutable_target()->set_digest(record->target.digest.str());
    image->mutable_target()->set_size(record->target.size);
    image->mutable_labels()->insert(record->labels.begin(), record->labels.end());
    *image->mutable_created_at() = TimestampOf(record->created);
    *image->mutable_updated_at() = TimestampOf(record->updated);
  }
  return out;
}

absl::StatusOr<PushOptions> PushOptionsFromProto(const v1::PushImageRequest& request,
                                                 const std::string& ns) {
  if (request.all_tags()) {
    return absl::UnimplementedError("pushing all tags of a repository is not supported yet");
  }
  PushOptions options;
  options.ns = ns;
  options.reference = request.reference();
  options.platform = PlatformFromProto(request.platform());
  options.credentials = CredentialsFromProto(request.auth());
  return options;
}

v1::TransferProgress ProgressToProto(const PushProgress& progress) {
  v1::TransferProgress out;
  *out.mutable_time() = TimestampOf(absl::Now());
  v1::LayerProgress* layer = out.add_layers();
  layer->set_id(progress.id);
  layer->set_digest(progress.digest.str());
  layer->set_status(PushStatusToProto(progress.state));
  layer->set_current(progress.current);
  layer->set_total(progress.total);
  layer->set_mounted_from(progress.mounted_from);
  return out;
}

v1::PushedImage PushedImageToProto(const PushResult& result) {
  v1::PushedImage out;
  out.set_reference(result.reference);
  out.set_digest(result.digest.str());
  out.set_size(result.size);
  return out;
}

}  // namespace berth::images
