// The images service as berthd hosts it.
#pragma once

#include "absl/status/statusor.h"
#include "common/rpc/hosted_service.h"

namespace berth::images {

absl::StatusOr<rpc::HostedService> HostImagesService(const rpc::ServiceSetup& setup);

}  // namespace berth::images
