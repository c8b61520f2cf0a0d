// Object namespaces travel as gRPC metadata "berth-namespace" (default "default").
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

}  // namespace berth::rpc
