// The network service as berthd hosts it.
#pragma once

#include "absl/status/statusor.h"
#include "common/rpc/hosted_service.h"

namespace berth::network {

absl::StatusOr<rpc::HostedService> HostNetworkService(const rpc::ServiceSetup& setup);

}  // namespace berth::network
