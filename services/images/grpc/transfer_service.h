// berth.images.v1.Transfer: pull (push, save, load and import arrive separately).
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

 private:
  std::shared_ptr<ImageRoot> root_;
};

}  // namespace berth::images
