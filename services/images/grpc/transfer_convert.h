// Conversions between the Transfer service's messages and the core's pull types.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "berth/images/v1/transfer.pb.h"
#include "services/images/core/image_puller.h"

namespace berth::images {

absl::StatusOr<PullOptions> PullOptionsFromProto(const v1::PullImageRequest& request,
                                                 const std::string& ns);
v1::TransferProgress ProgressToProto(const PullProgress& progress);
v1::PulledImage PulledImageToProto(const PullResult& result, ImageRoot& root,
                                   const std::string& ns);

}  // namespace berth::images
