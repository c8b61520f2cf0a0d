// berth.network.v1.Networks over NetworkCatalog: check, convert, call, convert back.
#pragma once

#include "berth/network/v1/network.grpc.pb.h"
#include "services/network/core/endpoint_registry.h"
#include "services/network/core/network_catalog.h"

namespace berth::network {

class NetworksService final : public v1::Networks::Service {
 public:
  NetworksService(NetworkCatalog* catalog, EndpointRegistry* endpoints)
      : catalog_(catalog), endpoints_(endpoints) {}

  grpc::Status Create(grpc::ServerContext* context, const v1::CreateNetworkRequest* request,
                      v1::CreateNetworkResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const v1::GetNetworkRequest* request,
                   v1::GetNetworkResponse* response) override;
  grpc::Status List(grpc::ServerContext* context, const v1::ListNetworksRequest* request,
                    v1::ListNetworksResponse* response) override;
  grpc::Status Delete(grpc::ServerContext* context, const v1::DeleteNetworkRequest* request,
                      google::protobuf::Empty* response) override;
  grpc::Status Prune(grpc::ServerContext* context, const v1::PruneNetworksRequest* request,
                     v1::PruneNetworksResponse* response) override;

 private:
  NetworkCatalog* catalog_;
  EndpointRegistry* endpoints_;
};

}  // namespace berth::network
