// berth.network.v1.Endpoints over EndpointRegistry: check, convert, call, convert back.
#pragma once

#include "berth/network/v1/network.grpc.pb.h"
#include "services/network/core/endpoint_registry.h"
#include "services/network/core/network_catalog.h"

namespace berth::network {

class EndpointsService final : public v1::Endpoints::Service {
 public:
  EndpointsService(NetworkCatalog* catalog, EndpointRegistry* endpoints)
      : catalog_(catalog), endpoints_(endpoints) {}

  grpc::Status Attach(grpc::ServerContext* context, const v1::AttachEndpointRequest* request,
                      v1::AttachEndpointResponse* response) override;
  grpc::Status Detach(grpc::ServerContext* context, const v1::DetachEndpointRequest* request,
                      google::protobuf::Empty* response) override;
  grpc::Status List(grpc::ServerContext* context, const v1::ListEndpointsRequest* request,
                    v1::ListEndpointsResponse* response) override;
  grpc::Status Ports(grpc::ServerContext* context, const v1::ContainerPortsRequest* request,
                     v1::ContainerPortsResponse* response) override;
  grpc::Status Reconcile(grpc::ServerContext* context, const v1::ReconcileEndpointsRequest* request,
                         v1::ReconcileEndpointsResponse* response) override;

 private:
  // The endpoint as the API shows it, with its container's name-file paths.
  absl::Status Describe(absl::string_view ns, const EndpointRecord& endpoint, v1::Endpoint* out);

  NetworkCatalog* catalog_;
  EndpointRegistry* endpoints_;
};

}  // namespace berth::network
