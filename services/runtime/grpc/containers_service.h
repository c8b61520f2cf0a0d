// berth.runtime.v1.Containers over the container store and the supervisor (and the images
// service for sizes).
#pragma once

#include "berth/runtime/v1/containers.grpc.pb.h"
#include "services/runtime/core/container_store.h"
#include "services/runtime/core/image_source.h"
#include "services/runtime/supervisor/container_supervisor.h"

namespace berth::runtime {

class ContainersService final : public v1::Containers::Service {
 public:
  ContainersService(ContainerStore* store, ContainerSupervisor* supervisor, ImageSource* images)
      : store_(store), supervisor_(supervisor), images_(images) {}

  grpc::Status Create(grpc::ServerContext* context, const v1::CreateContainerRequest* request,
                      v1::CreateContainerResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const v1::GetContainerRequest* request,
                   v1::GetContainerResponse* response) override;
  grpc::Status List(grpc::ServerContext* context, const v1::ListContainersRequest* request,
                    v1::ListContainersResponse* response) override;
  grpc::Status Update(grpc::ServerContext* context, const v1::UpdateContainerRequest* request,
                      v1::UpdateContainerResponse* response) override;
  grpc::Status Rename(grpc::ServerContext* context, const v1::RenameContainerRequest* request,
                      google::protobuf::Empty* response) override;
  grpc::Status ConnectNetwork(grpc::ServerContext* context,
                              const v1::ConnectNetworkRequest* request,
                              google::protobuf::Empty* response) override;
  grpc::Status DisconnectNetwork(grpc::ServerContext* context,
                                 const v1::DisconnectNetworkRequest* request,
                                 google::protobuf::Empty* response) override;
  grpc::Status Delete(grpc::ServerContext* context, const v1::DeleteContainerRequest* request,
                      google::protobuf::Empty* response) override;
  grpc::Status Inspect(grpc::ServerContext* context, const v1::InspectContainerRequest* request,
                       v1::InspectContainerResponse* response) override;
  grpc::Status Prune(grpc::ServerContext* context, const v1::PruneContainersRequest* request,
                     v1::PruneContainersResponse* response) override;

 private:
  ContainerStore* store_;
  ContainerSupervisor* supervisor_;
  ImageSource* images_;  // sizes (`ps -s`, `inspect -s`)
};

}  // namespace berth::runtime
