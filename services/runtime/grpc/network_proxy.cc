#include "services/runtime/grpc/network_proxy.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/rpc/channel.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "services/runtime/grpc/proxy_call.h"

namespace berth::runtime {
namespace {

constexpr auto kCallTimeout = std::chrono::seconds(60);
// How long a start waits for a network service that is not up (yet): split deployments
// start their services in any order.
constexpr auto kConnectWait = std::chrono::seconds(10);

}  // namespace

absl::StatusOr<std::unique_ptr<NetworkProxy>> NetworkProxy::Dial(const std::string& address) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, rpc::Dial(address));
  return std::unique_ptr<NetworkProxy>(new NetworkProxy(address, std::move(channel)));
}

absl::Status NetworkProxy::Reachable() {
  if (channel_->WaitForConnected(std::chrono::system_clock::now() + kConnectWait)) {
    return absl::OkStatus();
  }
  return absl::UnavailableError(
      absl::StrCat("the network service at ", address_, " is not reachable"));
}

absl::StatusOr<network::v1::Endpoint> NetworkProxy::Attach(
    const std::string& ns, const network::v1::AttachEndpointRequest& request) {
  BERTH_RETURN_IF_ERROR(Reachable());
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  network::v1::AttachEndpointResponse response;
  BERTH_RETURN_IF_ERROR(rpc::FromGrpcStatus(stub_->Attach(&context, request, &response)));
  return response.endpoint();
}

absl::Status NetworkProxy::Detach(const std::string& ns, const std::string& container_id,
                                  const std::string& network) {
  BERTH_RETURN_IF_ERROR(Reachable());
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  network::v1::DetachEndpointRequest request;
  request.set_container_id(container_id);
  request.set_network(network);
  google::protobuf::Empty response;
  return rpc::FromGrpcStatus(stub_->Detach(&context, request, &response));
}

absl::StatusOr<std::string> NetworkProxy::NetworkName(const std::string& ns,
                                                      const std::string& ref) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  network::v1::GetNetworkRequest request;
  request.set_name(ref);
  network::v1::GetNetworkResponse response;
  BERTH_RETURN_IF_ERROR(rpc::FromGrpcStatus(networks_->Get(&context, request, &response)));
  return response.network().name();
}

absl::StatusOr<std::vector<network::v1::Endpoint>> NetworkProxy::Endpoints(
    const std::string& ns, const std::string& container_id) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  // Inspect and ps wait a little for a channel still connecting, then do without.
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  network::v1::ListEndpointsRequest request;
  request.set_container_id(container_id);
  network::v1::ListEndpointsResponse response;
  BERTH_RETURN_IF_ERROR(rpc::FromGrpcStatus(stub_->List(&context, request, &response)));
  return std::vector<network::v1::Endpoint>(response.endpoints().begin(),
                                            response.endpoints().end());
}

absl::Status NetworkProxy::Reconcile(const std::string& ns, const std::vector<std::string>& live) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  network::v1::ReconcileEndpointsRequest request;
  for (const std::string& id : live) request.add_live_container_ids(id);
  network::v1::ReconcileEndpointsResponse response;
  return rpc::FromGrpcStatus(stub_->Reconcile(&context, request, &response));
}

}  // namespace berth::runtime
