#include "services/images/grpc/transfer_service.h"

#include <google/protobuf/util/time_util.h>

#include <mutex>

#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "services/images/core/image_puller.h"
#include "services/images/core/image_pusher.h"
#include "services/images/grpc/transfer_archive_rpcs.h"
#include "services/images/grpc/transfer_convert.h"
#include "services/images/grpc/transfer_login_rpcs.h"

namespace berth::images {

grpc::Status TransferService::Pull(grpc::ServerContext* context,
                                   const v1::PullImageRequest* request,
                                   grpc::ServerWriter<v1::PullImageResponse>* writer) {
  absl::StatusOr<std::string> ns = rpc::NamespaceOf(*context);
  if (!ns.ok()) return rpc::ToGrpcStatus(ns.status());
  if (request->reference().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a reference is required");
  }
  absl::StatusOr<PullOptions> options = PullOptionsFromProto(*request, *ns);
  if (!options.ok()) return rpc::ToGrpcStatus(options.status());

  std::mutex write_mu;
  auto progress = [&](const PullProgress& update) {
    v1::PullImageResponse response;
    *response.mutable_progress() = ProgressToProto(update);
    std::lock_guard lock(write_mu);
    writer->Write(response);
  };
  ImagePuller puller(*root_);
  absl::StatusOr<PullResult> pulled = puller.Pull(*options, progress);
  if (!pulled.ok()) return rpc::ToGrpcStatus(pulled.status());

  v1::PullImageResponse response;
  *response.mutable_result() = PulledImageToProto(*pulled, *root_, *ns);
  writer->Write(response);
  return grpc::Status::OK;
}

grpc::Status TransferService::Push(grpc::ServerContext* context,
                                   const v1::PushImageRequest* request,
                                   grpc::ServerWriter<v1::PushImageResponse>* writer) {
  absl::StatusOr<std::string> ns = rpc::NamespaceOf(*context);
  if (!ns.ok()) return rpc::ToGrpcStatus(ns.status());
  if (request->reference().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a reference is required");
  }
  absl::StatusOr<PushOptions> options = PushOptionsFromProto(*request, *ns);
  if (!options.ok()) return rpc::ToGrpcStatus(options.status());

  std::mutex write_mu;
  auto progress = [&](const PushProgress& update) {
    v1::PushImageResponse response;
    *response.mutable_progress() = ProgressToProto(update);
    std::lock_guard lock(write_mu);
    writer->Write(response);
  };
  ImagePusher pusher(*root_);
  absl::StatusOr<PushResult> pushed = pusher.Push(*options, progress);
  if (!pushed.ok()) return rpc::ToGrpcStatus(pushed.status());

  v1::PushImageResponse response;
  *response.mutable_result() = PushedImageToProto(*pushed);
  writer->Write(response);
  return grpc::Status::OK;
}

grpc::Status TransferService::Load(grpc::ServerContext* context,
                                   grpc::ServerReader<v1::LoadImagesRequest>* reader,
                                   v1::LoadImagesResponse* response) {
  return HandleLoad(*root_, context, reader, response);
}

grpc::Status TransferService::Save(grpc::ServerContext* context,
                                   const v1::SaveImagesRequest* request,
                                   grpc::ServerWriter<v1::SaveImagesResponse>* writer) {
  return HandleSave(*root_, context, request, writer);
}

grpc::Status TransferService::Import(grpc::ServerContext* context,
                                     grpc::ServerReader<v1::ImportImageRequest>* reader,
                                     v1::ImportImageResponse* response) {
  return HandleImport(*root_, context, reader, response);
}

grpc::Status TransferService::Authenticate(grpc::ServerContext*,
                                           const v1::AuthenticateRequest* request,
                                           v1::AuthenticateResponse* response) {
  return HandleAuthenticate(*root_, *request, response);
}

grpc::Status TransferService::Search(grpc::ServerContext*, const v1::SearchImagesRequest* request,
                                     v1::SearchImagesResponse* response) {
  return HandleSearch(*root_, *request, response);
}

}  // namespace berth::images
