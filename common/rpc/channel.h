// Client channels to berthd and between services, over unix sockets or mutual TLS.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::rpc {

inline constexpr int kMaxMessageBytes = 16 * 1024 * 1024;

// PEM file paths; a tcp:// address is dialled only with all three.
struct ClientTlsFiles {
  std::string ca_cert;
  std::string cert;
  std::string key;
};

// Opens a channel to `address` (unix:///path or tcp://host:port). Does not connect yet.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(
    absl::string_view address, const std::optional<ClientTlsFiles>& tls = std::nullopt);

// Reads a whole file (PEM material); the error names the path.
absl::StatusOr<std::string> ReadPemFile(const std::string& path);

}  // namespace berth::rpc
