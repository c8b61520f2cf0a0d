// The one place absl::Status and grpc::Status are converted (codes share numbers).
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace berth::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace berth::rpc
