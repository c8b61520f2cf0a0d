// What scopes a call travels as gRPC metadata: its object namespace ("berth-namespace",
// default "default") and the lease that holds what it creates ("berth-lease", optional).
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::rpc {

inline constexpr char kNamespaceMetadataKey[] = "berth-namespace";
inline constexpr char kDefaultNamespace[] = "default";

// Letters, digits, '.', '_' and '-', starting with a letter or digit, at most 76 long.
absl::Status ValidateNamespace(absl::string_view name);

// The caller's namespace, "default" when the metadata is absent.
absl::StatusOr<std::string> NamespaceOf(const grpc::ServerContext& context);

void SetNamespace(grpc::ClientContext& context, absl::string_view name);

inline constexpr char kLeaseMetadataKey[] = "berth-lease";

// The lease the caller named, "" when none.
std::string LeaseOf(const grpc::ServerContext& context);

void SetLease(grpc::ClientContext& context, absl::string_view lease_id);

}  // namespace berth::rpc
