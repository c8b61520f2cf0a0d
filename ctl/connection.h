// How berthctl reaches berthd: -H / BERTH_HOST, TLS flags / BERTH_TLS_VERIFY, BERTH_CERT_PATH.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace berth::ctl {

inline constexpr char kDefaultHost[] = "unix:///run/berth/berthd.sock";

struct GlobalOptions {
  std::string host;  // empty: BERTH_HOST, else kDefaultHost
  bool tlsverify = false;
  std::string tlscacert, tlscert, tlskey;  // empty: <cert path>/{ca,cert,key}.pem
  bool debug = false;
};

// The address berthctl will dial, after BERTH_HOST and defaults.
std::string EffectiveHost(const GlobalOptions& options);

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const GlobalOptions& options);

// "Cannot connect to berthd at …" in Docker's words, for unreachable daemons.
std::string CannotConnectMessage(const GlobalOptions& options, const std::string& detail);

}  // namespace berth::ctl
