// berth.volumes.v1.Volumes over the VolumeManager: conversions only.
#pragma once

#include <memory>

#include "berth/volumes/v1/volumes.grpc.pb.h"
#include "services/volumes/core/volume_manager.h"

namespace berth::volumes {

class VolumesService final : public v1::Volumes::Service {
 public:
  explicit VolumesService(std::shared_ptr<VolumeManager> manager) : manager_(std::move(manager)) {}

  grpc::Status Create(grpc::ServerContext* context, const v1::CreateVolumeRequest* request,
                      v1::CreateVolumeResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const v1::GetVolumeRequest* request,
                   v1::GetVolumeResponse* response) override;
  grpc::Status List(grpc::ServerContext* context, const v1::ListVolumesRequest* request,
                    v1::ListVolumesResponse* response) override;
  grpc::Status Remove(grpc::ServerContext* context, const v1::RemoveVolumeRequest* request,
                      v1::RemoveVolumeResponse* response) override;
  grpc::Status Prune(grpc::ServerContext* context, const v1::PruneVolumesRequest* request,
                     v1::PruneVolumesResponse* response) override;
  grpc::Status Resolve(grpc::ServerContext* context, const v1::ResolveMountsRequest* request,
                       v1::ResolveMountsResponse* response) override;
  grpc::Status Release(grpc::ServerContext* context, const v1::ReleaseMountsRequest* request,
                       v1::ReleaseMountsResponse* response) override;
  grpc::Status Usage(grpc::ServerContext* context, const v1::VolumesUsageRequest* request,
                     v1::VolumesUsageResponse* response) override;

 private:
  std::shared_ptr<VolumeManager> manager_;
};

}  // namespace berth::volumes
