// berth.images.v1.Transfer: pull, push, and the archive RPCs (load, save, import).
#pragma once

#include <memory>

#include "berth/images/v1/transfer.grpc.pb.h"
#include "services/images/core/image_root.h"

namespace berth::images {

class TransferService final : public v1::Transfer::Service {
 public:
  explicit TransferService(std::shared_ptr<ImageRoot> root) : root_(std::move(root)) {}

  grpc::Status Pull(grpc::ServerContext* context, const v1::PullImageRequest* request,
                    grpc::ServerWriter<v1::PullImageResponse>* writer) override;
  grpc::Status Push(grpc::ServerContext* context, const v1::PushImageRequest* request,
                    grpc::ServerWriter<v1::PushImageResponse>* writer) override;
  grpc::Status Load(grpc::ServerContext* context, grpc::ServerReader<v1::LoadImagesRequest>* reader,
                    v1::LoadImagesResponse* response) override;
  grpc::Status Save(grpc::ServerContext* context, const v1::SaveImagesRequest* request,
                    grpc::ServerWriter<v1::SaveImagesResponse>* writer) override;
  grpc::Status Import(grpc::ServerContext* context,
                      grpc::ServerReader<v1::ImportImageRequest>* reader,
                      v1::ImportImageResponse* response) override;
  grpc::Status Authenticate(grpc::ServerContext* context, const v1::AuthenticateRequest* request,
                            v1::AuthenticateResponse* response) override;
  grpc::Status Search(grpc::ServerContext* context, const v1::SearchImagesRequest* request,
                      v1::SearchImagesResponse* response) override;

 private:
  std::shared_ptr<ImageRoot> root_;
};

}  // namespace berth::images
