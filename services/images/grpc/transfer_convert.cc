#include "services/images/grpc/transfer_convert.h"

#include <google/protobuf/util/time_util.h>

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

google::protobuf::Timestamp TimestampOf(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

}  // namespace

absl::StatusOr<PullOptions> PullOptionsFromProto(const v1::PullImageRequest& request,
                                                 const std::string& ns) {
  PullOptions options;
  options.ns = ns;
  options.reference = request.reference();
  if (request.has_platform() && !request.platform().os().empty()) {
    Platform platform;
    platform.os = request.platform().os();
    platform.architecture = request.platform().architecture();
    platform.variant = request.platform().variant();
    options.platform = NormalizePlatform(platform);
  }
  if (request.has_auth() && !request.auth().username().empty()) {
    options.credentials = Credentials{request.auth().username(), request.auth().password()};
  }
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

}  // namespace berth::images
