// berth.images.v1.Content over the images service's content store and metadata: blobs
// are shared by every namespace on disk, but a caller sees, reads, labels and deletes
// only those its namespace holds. Ingest refs are the caller's own: each namespace has
// its own set (stored as "<namespace>/<ref>"). Writes made while the call names a lease
// (`berth-lease`) are held by it, the ingest while it is open and the blob once committed.
#pragma once

#include <memory>

#include "berth/images/v1/content.grpc.pb.h"
#include "services/images/core/image_root.h"

namespace berth::images {

class ContentService final : public v1::Content::Service {
 public:
  explicit ContentService(std::shared_ptr<ImageRoot> root) : root_(std::move(root)) {}

  grpc::Status Info(grpc::ServerContext* context, const v1::ContentInfoRequest* request,
                    v1::ContentInfoResponse* response) override;
  grpc::Status Update(grpc::ServerContext* context, const v1::UpdateContentRequest* request,
                      v1::UpdateContentResponse* response) override;
  grpc::Status List(grpc::ServerContext* context, const v1::ListContentRequest* request,
                    grpc::ServerWriter<v1::ListContentResponse>* writer) override;
  grpc::Status Delete(grpc::ServerContext* context, const v1::DeleteContentRequest* request,
                      google::protobuf::Empty* response) override;
  grpc::Status Read(grpc::ServerContext* context, const v1::ReadContentRequest* request,
                    grpc::ServerWriter<v1::ReadContentResponse>* writer) override;
  grpc::Status Status(grpc::ServerContext* context, const v1::ContentStatusRequest* request,
                      v1::ContentStatusResponse* response) override;
  grpc::Status ListStatuses(grpc::ServerContext* context,
                            const v1::ListContentStatusesRequest* request,
                            v1::ListContentStatusesResponse* response) override;
  grpc::Status Write(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::WriteContentResponse, v1::WriteContentRequest>* stream) override;
  grpc::Status Abort(grpc::ServerContext* context, const v1::AbortContentRequest* request,
                     google::protobuf::Empty* response) override;

 private:
  std::shared_ptr<ImageRoot> root_;
};

}  // namespace berth::images
