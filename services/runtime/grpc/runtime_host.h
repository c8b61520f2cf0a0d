// The runtime service as berthd hosts it.
#pragma once

#include "absl/status/statusor.h"
#include "common/rpc/hosted_service.h"

namespace berth::runtime {

absl::StatusOr<rpc::HostedService> HostRuntimeService(const rpc::ServiceSetup& setup);

}  // namespace berth::runtime
