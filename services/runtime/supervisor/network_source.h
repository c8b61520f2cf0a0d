// What the runtime needs of the network service, as an interface: a container's network
// namespace and name files (/etc/hosts, /etc/resolv.conf, /etc/hostname) attached before
// its init starts, detached when it stops, listed for inspect and ps, and stale
// endpoints reconciled after a restart. The gRPC proxy (services/runtime/grpc/
// network_proxy.h) implements it over berth.network.v1.Endpoints.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "berth/network/v1/network.pb.h"

namespace berth::runtime {

class NetworkSource {
 public:
  virtual ~NetworkSource() = default;
  virtual absl::StatusOr<network::v1::Endpoint> Attach(
      const std::string& ns, const network::v1::AttachEndpointRequest& request) = 0;
  // Every network of the container, or one; nothing attached is no error, not being on
  // `network` is NotFound.
  virtual absl::Status Detach(const std::string& ns, const std::string& container_id,
                              const std::string& network = "") = 0;
  // The name of the network `ref` (name, ID or ID prefix) refers to; NotFound otherwise.
  virtual absl::StatusOr<std::string> NetworkName(const std::string& ns,
                                                  const std::string& ref) = 0;
  // Of one container, or of every container when `container_id` is empty.
  virtual absl::StatusOr<std::vector<network::v1::Endpoint>> Endpoints(
      const std::string& ns, const std::string& container_id) = 0;
  // Detaches every endpoint of the namespace whose container is not in `live`.
  virtual absl::Status Reconcile(const std::string& ns, const std::vector<std::string>& live) = 0;
};

}  // namespace berth::runtime
