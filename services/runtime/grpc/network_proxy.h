// NetworkSource over the network service's gRPC API (Endpoints, Networks), at its
// configured address.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "berth/network/v1/network.grpc.pb.h"
#include "services/runtime/supervisor/network_source.h"

namespace berth::runtime {

class NetworkProxy final : public NetworkSource {
 public:
  static absl::StatusOr<std::unique_ptr<NetworkProxy>> Dial(const std::string& address);

  absl::StatusOr<network::v1::Endpoint> Attach(
      const std::string& ns, const network::v1::AttachEndpointRequest& request) override;
  absl::Status Detach(const std::string& ns, const std::string& container_id,
                      const std::string& network) override;
  absl::StatusOr<std::string> NetworkName(const std::string& ns, const std::string& ref) override;
  absl::StatusOr<std::vector<network::v1::Endpoint>> Endpoints(
      const std::string& ns, const std::string& container_id) override;
  absl::Status Reconcile(const std::string& ns, const std::vector<std::string>& live) override;

 private:
  NetworkProxy(std::string address, std::shared_ptr<grpc::Channel> channel)
      : address_(std::move(address)),
        channel_(channel),
        stub_(network::v1::Endpoints::NewStub(channel)),
        networks_(network::v1::Networks::NewStub(channel)) {}
  // Unavailable, naming the address, when the service cannot be reached within a few
  // seconds — rather than a container's start waiting the whole call timeout for it.
  absl::Status Reachable();

  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<network::v1::Endpoints::Stub> stub_;
  std::unique_ptr<network::v1::Networks::Stub> networks_;
};

}  // namespace berth::runtime
