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
// A commit tars and compresses the container's changes, however large they are.
constexpr auto kCommitTimeout = std::chrono::hours(1);

std::vector<RootfsMount> FromProto(
    const google::protobuf::RepeatedPtrField<types::v1::Mount>& mounts) {
  std::vector<RootfsMount> out;
  for (const types::v1::Mount& mount : mounts) {
    out.push_back(RootfsMount{
        mount.type(), mount.source(), {mount.options().begin(), mount.options().end()}});
  }
  return out;
}

void ToProto(const ImageRuntimeConfig& config, images::v1::ImageConfig* out) {
  out->set_user(config.user);
  out->mutable_env()->Add(config.env.begin(), config.env.end());
  out->mutable_entrypoint()->Add(config.entrypoint.begin(), config.entrypoint.end());
  out->mutable_cmd()->Add(config.cmd.begin(), config.cmd.end());
  out->set_working_dir(config.working_dir);
  out->mutable_labels()->insert(config.labels.begin(), config.labels.end());
  out->set_stop_signal(config.stop_signal);
  out->mutable_volumes()->Add(config.volumes.begin(), config.volumes.end());
  out->mutable_exposed_ports()->Add(config.exposed_ports.begin(), config.exposed_ports.end());
  const HealthcheckSettings& from = config.healthcheck;
  if (from.test.empty()) return;
  types::v1::HealthcheckConfig* health = out->mutable_healthcheck();
  health->mutable_test()->Add(from.test.begin(), from.test.end());
  auto duration = [](int64_t ns, google::protobuf::Duration* d) {
    d->set_seconds(ns / 1000000000);
    d->set_nanos(static_cast<int32_t>(ns % 1000000000));
  };
  duration(from.interval_ns, health->mutable_interval());
  duration(from.timeout_ns, health->mutable_timeout());
  duration(from.start_period_ns, health->mutable_start_period());
  duration(from.start_interval_ns, health->mutable_start_interval());
  health->set_retries(from.retries);
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

namespace berth::runtime {

absl::StatusOr<ImageRuntimeConfig> ImagesProxy::ImageConfig(const std::string& ns,
                                                            const std::string& image) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  images::v1::InspectImageRequest request;
  request.set_name(image);
  images::v1::InspectImageResponse response;
  BERTH_RETURN_IF_ERROR(rpc::FromGrpcStatus(images_->Inspect(&context, request, &response)));
  return ImageConfigFromProto(response.image().config());
}

absl::StatusOr<std::string> ImagesProxy::CommitSnapshot(const std::string& ns,
                                                        const SnapshotCommit& commit) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCommitTimeout);
  images::v1::CommitImageRequest request;
  request.set_snapshot_key(commit.snapshot_key);
  request.set_snapshotter(commit.snapshotter);
  request.set_parent(commit.parent);
  ToProto(commit.config, request.mutable_config());
  request.mutable_changes()->Add(commit.changes.begin(), commit.changes.end());
  request.set_reference(commit.reference);
  request.set_author(commit.author);
  request.set_comment(commit.comment);
  request.set_container_id(commit.container_id);
  request.mutable_mount_points()->Add(commit.mount_points.begin(), commit.mount_points.end());
  images::v1::CommitImageResponse response;
  BERTH_RETURN_IF_ERROR(rpc::FromGrpcStatus(images_->Commit(&context, request, &response)));
  return response.image_id();
}

}  // namespace berth::runtime
