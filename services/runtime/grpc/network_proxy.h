// NetworkSource over the network service's gRPC API (Endpoints, Networks), at its
// configured address.
#pragma once

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
  NetworkProxy(std::unique_ptr<network::v1::Endpoints::Stub> stub,
               std::unique_ptr<network::v1::Networks::Stub> networks)
      : stub_(std::move(stub)), networks_(std::move(networks)) {}
  std::unique_ptr<network::v1::Endpoints::Stub> stub_;
  std::unique_ptr<network::v1::Networks::Stub> networks_;
};

}  // namespace berth::runtime
