// The volumes service as berthd hosts it.
#pragma once

#include "absl/status/statusor.h"
#include "common/rpc/hosted_service.h"

namespace berth::volumes {

absl::StatusOr<rpc::HostedService> HostVolumesService(const rpc::ServiceSetup& setup);

}  // namespace berth::volumes
