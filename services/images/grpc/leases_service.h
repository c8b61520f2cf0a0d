// berth.images.v1.Leases over the images service's metadata: leases and the content,
// ingests and snapshots they hold, in the caller's namespace. Deleting a lease with
// `sync` runs a garbage collection before it returns.
#pragma once

#include <memory>

#include "berth/images/v1/leases.grpc.pb.h"
#include "services/images/core/image_root.h"

namespace berth::images {

class LeasesService final : public v1::Leases::Service {
 public:
  explicit LeasesService(std::shared_ptr<ImageRoot> root) : root_(std::move(root)) {}

  grpc::Status Create(grpc::ServerContext* context, const v1::CreateLeaseRequest* request,
                      v1::CreateLeaseResponse* response) override;
  grpc::Status Delete(grpc::ServerContext* context, const v1::DeleteLeaseRequest* request,
                      google::protobuf::Empty* response) override;
  grpc::Status List(grpc::ServerContext* context, const v1::ListLeasesRequest* request,
                    v1::ListLeasesResponse* response) override;
  grpc::Status AddResource(grpc::ServerContext* context, const v1::AddLeaseResourceRequest* request,
                           google::protobuf::Empty* response) override;
  grpc::Status DeleteResource(grpc::ServerContext* context,
                              const v1::DeleteLeaseResourceRequest* request,
                              google::protobuf::Empty* response) override;
  grpc::Status ListResources(grpc::ServerContext* context,
                             const v1::ListLeaseResourcesRequest* request,
                             v1::ListLeaseResourcesResponse* response) override;

 private:
  std::shared_ptr<ImageRoot> root_;
};

}  // namespace berth::images
