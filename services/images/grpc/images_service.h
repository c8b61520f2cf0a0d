// berth.images.v1.Images over the images core: each RPC checks its arguments, converts,
// calls ImageCatalog and converts back. RPCs not listed stay UNIMPLEMENTED.
#pragma once

#include <memory>

#include "berth/images/v1/images.grpc.pb.h"
#include "services/images/core/image_root.h"

namespace berth::images {

class ImagesService final : public v1::Images::Service {
 public:
  explicit ImagesService(std::shared_ptr<ImageRoot> root) : root_(std::move(root)) {}

  grpc::Status Get(grpc::ServerContext* context, const v1::GetImageRequest* request,
                   v1::GetImageResponse* response) override;
  grpc::Status List(grpc::ServerContext* context, const v1::ListImagesRequest* request,
                    v1::ListImagesResponse* response) override;
  grpc::Status Delete(grpc::ServerContext* context, const v1::DeleteImageRequest* request,
                      v1::DeleteImageResponse* response) override;
  grpc::Status Tag(grpc::ServerContext* context, const v1::TagImageRequest* request,
                   v1::TagImageResponse* response) override;
  grpc::Status History(grpc::ServerContext* context, const v1::ImageHistoryRequest* request,
                       v1::ImageHistoryResponse* response) override;
  grpc::Status Inspect(grpc::ServerContext* context, const v1::InspectImageRequest* request,
                       v1::InspectImageResponse* response) override;
  grpc::Status PrepareSnapshot(grpc::ServerContext* context,
                               const v1::PrepareImageSnapshotRequest* request,
                               v1::PrepareImageSnapshotResponse* response) override;
  grpc::Status Commit(grpc::ServerContext* context, const v1::CommitImageRequest* request,
                      v1::CommitImageResponse* response) override;
  grpc::Status Prune(grpc::ServerContext* context, const v1::PruneImagesRequest* request,
                     v1::PruneImagesResponse* response) override;
  grpc::Status GarbageCollect(grpc::ServerContext* context,
                              const v1::GarbageCollectRequest* request,
                              v1::GarbageCollectResponse* response) override;

 private:
  std::shared_ptr<ImageRoot> root_;
};

}  // namespace berth::images
