// Conversions between the Transfer service's messages and the core's pull and push types.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "berth/images/v1/transfer.pb.h"
#include "services/images/core/image_puller.h"
#include "services/images/core/image_pusher.h"

namespace berth::images {

absl::StatusOr<PullOptions> PullOptionsFromProto(const v1::PullImageRequest& request,
                                                 const std::string& ns);
v1::TransferProgress ProgressToProto(const PullProgress& progress);
v1::PulledImage PulledImageToProto(const PullResult& result, ImageRoot& root,
                                   const std::string& ns);

absl::StatusOr<PushOptions> PushOptionsFromProto(const v1::PushImageRequest& request,
                                                 const std::string& ns);
v1::TransferProgress ProgressToProto(const PushProgress& progress);
v1::PushedImage PushedImageToProto(const PushResult& result);

}  // namespace berth::images
