#include "services/runtime/grpc/images_proxy.h"

#include <chrono>

#include "common/rpc/channel.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "services/runtime/grpc/proxy_call.h"
#include "services/runtime/supervisor/spec_options.h"

namespace berth::runtime {
namespace {

constexpr auto kCallTimeout = std::chrono::seconds(60);

std::vector<RootfsMount> FromProto(
    const google::protobuf::RepeatedPtrField<types::v1::Mount>& mounts) {
  std::vector<RootfsMount> out;
  for (const types::v1::Mount& mount : mounts) {
    out.push_back(RootfsMount{
        mount.type(), mount.source(), {mount.options().begin(), mount.options().end()}});
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ImagesProxy>> ImagesProxy::Dial(const std::string& address) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, rpc::Dial(address));
  return std::unique_ptr<ImagesProxy>(new ImagesProxy(images::v1::Images::NewStub(channel),
                                                      images::v1::Snapshots::NewStub(channel)));
}

absl::StatusOr<PreparedRootfs> ImagesProxy::PrepareRootfs(const std::string& ns,
                                                          const std::string& image,
                                                          const std::string& key) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  images::v1::PrepareImageSnapshotRequest request;
  request.set_name(image);
  request.set_key(key);
  (*request.mutable_labels())["berth.io/container"] = key;
  images::v1::PrepareImageSnapshotResponse response;
  BERTH_RETURN_IF_ERROR(
      rpc::FromGrpcStatus(images_->PrepareSnapshot(&context, request, &response)));
  PreparedRootfs prepared;
  prepared.image_id = response.image_id();
  prepared.mounts = FromProto(response.mounts());
  prepared.config = ImageConfigFromProto(response.config());
  return prepared;
}

absl::StatusOr<std::vector<RootfsMount>> ImagesProxy::RootfsMounts(const std::string& ns,
                                                                   const std::string& snapshotter,
                                                                   const std::string& key) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  images::v1::SnapshotMountsRequest request;
  request.set_snapshotter(snapshotter);
  request.set_key(key);
  images::v1::SnapshotMountsResponse response;
  BERTH_RETURN_IF_ERROR(rpc::FromGrpcStatus(snapshots_->Mounts(&context, request, &response)));
  return FromProto(response.mounts());
}

absl::StatusOr<int64_t> ImagesProxy::RootfsUsage(const std::string& ns,
                                                 const std::string& snapshotter,
                                                 const std::string& key) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  images::v1::SnapshotUsageRequest request;
  request.set_snapshotter(snapshotter);
  request.set_key(key);
  images::v1::SnapshotUsageResponse response;
  BERTH_RETURN_IF_ERROR(rpc::FromGrpcStatus(snapshots_->Usage(&context, request, &response)));
  return response.size();
}

absl::StatusOr<int64_t> ImagesProxy::ImageSize(const std::string& ns, const std::string& image) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  images::v1::InspectImageRequest request;
  request.set_name(image);
  images::v1::InspectImageResponse response;
  BERTH_RETURN_IF_ERROR(rpc::FromGrpcStatus(images_->Inspect(&context, request, &response)));
  return response.image().size();
}

absl::Status ImagesProxy::RemoveRootfs(const std::string& ns, const std::string& snapshotter,
                                       const std::string& key) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  images::v1::RemoveSnapshotRequest request;
  request.set_snapshotter(snapshotter);
  request.set_key(key);
  google::protobuf::Empty response;
  return rpc::FromGrpcStatus(snapshots_->Remove(&context, request, &response));
}

}  // namespace berth::runtime
