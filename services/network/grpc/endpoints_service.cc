#include "services/network/grpc/endpoints_service.h"

#include <cstring>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "services/network/grpc/network_convert.h"

namespace berth::network {
namespace {

// `--network container:<id>`, the ID already resolved by the caller.
constexpr char kContainerModePrefix[] = "container:";

absl::Status Require(const std::string& value, absl::string_view field) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
}

}  // namespace

absl::Status EndpointsService::Describe(absl::string_view ns, const EndpointRecord& endpoint,
                                        v1::Endpoint* out) {
  BERTH_ASSIGN_OR_RETURN(std::optional<SandboxRecord> sandbox,
                         endpoints_->Sandbox(endpoint.container_id));
  auto network = catalog_->Resolve(ns, endpoint.network_id);
  bool user_network = network.ok() && !network->builtin;
  ToProto(endpoint, sandbox, user_network, out);
  return absl::OkStatus();
}

grpc::Status EndpointsService::Attach(grpc::ServerContext* context,
                                      const v1::AttachEndpointRequest* request,
                                      v1::AttachEndpointResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->container_id(), "container_id"));
    if (!request->ipv6_address().empty()) {
      return absl::UnimplementedError("berth networks are IPv4 only");
    }
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    if (absl::StartsWith(request->network(), kContainerModePrefix)) {
      // Nothing to attach: the caller shares the other container's netns and files.
      BERTH_ASSIGN_OR_RETURN(
          SandboxRecord shared,
          endpoints_->SharedSandbox(request->network().substr(strlen(kContainerModePrefix))));
      v1::Endpoint* out = response->mutable_endpoint();
      out->set_container_id(request->container_id());
      out->set_netns_path(shared.netns_path);
      out->set_hosts_path(shared.hosts_path);
      out->set_resolv_conf_path(shared.resolv_conf_path);
      out->set_hostname_path(shared.hostname_path);
      return absl::OkStatus();
    }
    BERTH_ASSIGN_OR_RETURN(auto attached, endpoints_->Attach(ns, FromProto(*request)));
    return Describe(ns, attached.first, response->mutable_endpoint());
  }());
}

grpc::Status EndpointsService::Detach(grpc::ServerContext* context,
                                      const v1::DetachEndpointRequest* request,
                                      google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->container_id(), "container_id"));
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    return endpoints_->Detach(ns, request->container_id(), request->network());
  }());
}

grpc::Status EndpointsService::List(grpc::ServerContext* context,
                                    const v1::ListEndpointsRequest* request,
                                    v1::ListEndpointsResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> endpoints,
                           endpoints_->List(ns, request->container_id(), request->network()));
    for (const EndpointRecord& e : endpoints) {
      BERTH_RETURN_IF_ERROR(Describe(ns, e, response->add_endpoints()));
    }
    return absl::OkStatus();
  }());
}

grpc::Status EndpointsService::Ports(grpc::ServerContext*, const v1::ContainerPortsRequest* request,
                                     v1::ContainerPortsResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->container_id(), "container_id"));
    if (request->container_port() > 65535) {
      return absl::InvalidArgumentError("container_port is out of range");
    }
    BERTH_ASSIGN_OR_RETURN(
        std::vector<PortBinding> ports,
        endpoints_->Ports(request->container_id(), static_cast<uint16_t>(request->container_port()),
                          ProtocolFromProto(request->protocol())));
    for (const PortBinding& p : ports) ToProto(p, response->add_ports());
    return absl::OkStatus();
  }());
}

grpc::Status EndpointsService::Reconcile(grpc::ServerContext* context,
                                         const v1::ReconcileEndpointsRequest* request,
                                         v1::ReconcileEndpointsResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    std::set<std::string> live(request->live_container_ids().begin(),
                               request->live_container_ids().end());
    BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> removed, endpoints_->Reconcile(ns, live));
    for (const EndpointRecord& e : removed) {
      ToProto(e, std::nullopt, false, response->add_removed());
    }
    return absl::OkStatus();
  }());
}

}  // namespace berth::network
