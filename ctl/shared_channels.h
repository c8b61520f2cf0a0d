// One channel to berthd per berthctl run, and a way around it.
#pragma once

#include <grpcpp/channel.h>

#include <memory>

#include "absl/status/statusor.h"
#include "ctl/connection.h"

namespace berth::ctl {

// For as long as this lives, Connect hands every caller with the same options the same
// channel: one connection and one gRPC start-up per berthctl run rather than one per call
// (gRPC stops and restarts its threads whenever its last channel goes, a few ms each
// time). The channels go with it, so gRPC shuts down before main returns.
class SharedChannels {
 public:
  SharedChannels();
  ~SharedChannels();
  SharedChannels(const SharedChannels&) = delete;
  SharedChannels& operator=(const SharedChannels&) = delete;
};

// Always a new channel (a new connection), whether or not a SharedChannels lives.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectFresh(const GlobalOptions& options);

}  // namespace berth::ctl
