// berth.images.v1.Snapshots over the images service's snapshotter, seen through the
// caller's namespace. Snapshots made while the call names a lease (`berth-lease`) are
// held by it.
#pragma once

#include <memory>

#include "berth/images/v1/snapshots.grpc.pb.h"
#include "services/images/core/image_root.h"

namespace berth::images {

class SnapshotsService final : public v1::Snapshots::Service {
 public:
  explicit SnapshotsService(std::shared_ptr<ImageRoot> root) : root_(std::move(root)) {}

  grpc::Status Prepare(grpc::ServerContext* context, const v1::PrepareSnapshotRequest* request,
                       v1::PrepareSnapshotResponse* response) override;
  grpc::Status View(grpc::ServerContext* context, const v1::ViewSnapshotRequest* request,
                    v1::ViewSnapshotResponse* response) override;
  grpc::Status Mounts(grpc::ServerContext* context, const v1::SnapshotMountsRequest* request,
                      v1::SnapshotMountsResponse* response) override;
  grpc::Status Commit(grpc::ServerContext* context, const v1::CommitSnapshotRequest* request,
                      google::protobuf::Empty* response) override;
  grpc::Status Remove(grpc::ServerContext* context, const v1::RemoveSnapshotRequest* request,
                      google::protobuf::Empty* response) override;
  grpc::Status Stat(grpc::ServerContext* context, const v1::StatSnapshotRequest* request,
                    v1::StatSnapshotResponse* response) override;
  grpc::Status Update(grpc::ServerContext* context, const v1::UpdateSnapshotRequest* request,
                      v1::UpdateSnapshotResponse* response) override;
  grpc::Status List(grpc::ServerContext* context, const v1::ListSnapshotsRequest* request,
                    grpc::ServerWriter<v1::ListSnapshotsResponse>* writer) override;
  grpc::Status Usage(grpc::ServerContext* context, const v1::SnapshotUsageRequest* request,
                     v1::SnapshotUsageResponse* response) override;
  grpc::Status Cleanup(grpc::ServerContext* context, const v1::CleanupSnapshotsRequest* request,
                       google::protobuf::Empty* response) override;

 private:
  std::shared_ptr<ImageRoot> root_;
};

}  // namespace berth::images
