// What every berthctl command that calls berthd shares: the call's context and Docker's
// way of reporting a failed call.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"
#include "ctl/connection.h"

namespace berth::ctl {

// berthctl acts in the "default" namespace.
inline constexpr char kCtlNamespace[] = "default";

// Sets the namespace and a deadline (`seconds` from now) on `context`.
void PrepareCall(grpc::ClientContext& context, int seconds = 300);

// Prints "Error response from daemon: <message>" (or "Cannot connect to berthd …" when
// berthd is unreachable) on stderr and returns the exit code, 1.
int ReportCallError(const GlobalOptions& options, const grpc::Status& status);

// For a channel that could not even be made (bad address, unreadable TLS files).
int ReportConnectError(const GlobalOptions& options, const absl::Status& status);

}  // namespace berth::ctl
