// Listen and dial addresses in Docker's form: unix:///path, tcp://host:port.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::rpc {

struct Address {
  enum class Kind { kUnix, kTcp };
  Kind kind;
  std::string path;      // kUnix
  std::string hostport;  // kTcp, as host:port ([v6]:port for IPv6)

  std::string ToString() const;    // back to unix://… or tcp://…
  std::string GrpcTarget() const;  // what grpc::CreateChannel / AddListeningPort take
};

// Accepts unix:///abs/path, a bare absolute path (taken as unix), tcp://host:port.
absl::StatusOr<Address> ParseAddress(absl::string_view text);

}  // namespace berth::rpc
