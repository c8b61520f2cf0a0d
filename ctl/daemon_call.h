// What every berthctl command that calls berthd shares: the call's context and Docker's
// way of reporting a failed call.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "berth/types/v1/types.pb.h"
#include "ctl/connection.h"
#include "google/protobuf/repeated_field.h"

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

// Connects and makes one call on `Service`'s stub with berthctl's namespace and deadline;
// an unreachable berthd is UNAVAILABLE. `call(stub, context)` returns the call's status.
template <typename Service, typename Call>
grpc::Status CallService(const GlobalOptions& global, Call&& call, int deadline_seconds = 300) {
  auto channel = Connect(global);
  if (!channel.ok()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(channel.status().message()));
  }
  auto stub = Service::NewStub(*channel);
  grpc::ClientContext context;
  PrepareCall(context, deadline_seconds);
  return std::forward<Call>(call)(*stub, context);
}

// `--filter key=value` flags into a request's filters. False, after Docker's message on
// stderr, when one has no "=".
bool AddFilterFlags(const std::vector<std::string>& flags,
                    google::protobuf::RepeatedPtrField<types::v1::Filter>* out);

}  // namespace berth::ctl
