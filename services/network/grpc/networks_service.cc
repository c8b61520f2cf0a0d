#include "services/network/grpc/networks_service.h"

#include "absl/strings/str_cat.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "services/network/grpc/network_convert.h"

namespace berth::network {
namespace {

absl::Status Require(const std::string& value, absl::string_view field) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
}

}  // namespace

grpc::Status NetworksService::Create(grpc::ServerContext* context,
                                     const v1::CreateNetworkRequest* request,
                                     v1::CreateNetworkResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->name(), "name"));
    if (request->enable_ipv6()) return absl::UnimplementedError("berth networks are IPv4 only");
    if (request->ipam_configs_size() > 1) {
      return absl::InvalidArgumentError("berth networks take one IPAM config");
    }
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(NetworkRecord created, catalog_->Create(ns, FromProto(*request)));
    response->set_id(created.id);
    return absl::OkStatus();
  }());
}

grpc::Status NetworksService::Get(grpc::ServerContext* context,
                                  const v1::GetNetworkRequest* request,
                                  v1::GetNetworkResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->name(), "name"));
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(NetworkRecord network, catalog_->Resolve(ns, request->name()));
    ToProto(network, response->mutable_network());
    BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> members,
                           endpoints_->List(ns, "", network.id));
    for (const EndpointRecord& e : members) {
      v1::NetworkContainer* container = response->mutable_network()->add_containers();
      container->set_container_id(e.container_id);
      container->set_endpoint_id(e.id);
      container->set_mac_address(e.mac);
      container->set_ipv4_address(e.ipv4);
      BERTH_ASSIGN_OR_RETURN(std::optional<SandboxRecord> sandbox,
                             endpoints_->Sandbox(e.container_id));
      if (sandbox) container->set_name(sandbox->name);
    }
    return absl::OkStatus();
  }());
}

grpc::Status NetworksService::List(grpc::ServerContext* context,
                                   const v1::ListNetworksRequest* request,
                                   v1::ListNetworksResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(std::vector<NetworkRecord> networks,
                           catalog_->List(ns, FiltersFromProto(request->filters())));
    for (const NetworkRecord& n : networks) ToProto(n, response->add_networks());
    return absl::OkStatus();
  }());
}

grpc::Status NetworksService::Delete(grpc::ServerContext* context,
                                     const v1::DeleteNetworkRequest* request,
                                     google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->name(), "name"));
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    return catalog_->Delete(ns, request->name());
  }());
}

grpc::Status NetworksService::Prune(grpc::ServerContext* context,
                                    const v1::PruneNetworksRequest* request,
                                    v1::PruneNetworksResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> removed,
                           catalog_->Prune(ns, FiltersFromProto(request->filters())));
    for (const std::string& name : removed) response->add_deleted(name);
    return absl::OkStatus();
  }());
}

}  // namespace berth::network
