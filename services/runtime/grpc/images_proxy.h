// ImageSource and ImageCommitter over the images service's gRPC API (Images.PrepareSnapshot,
// Images.Inspect, Images.Commit, Snapshots),
// at its configured address: the runtime reaches the images service only this way,
// whether both run in one berthd or apart.
#pragma once

#include <memory>
#include <string>

#include "berth/images/v1/images.grpc.pb.h"
#include "berth/images/v1/snapshots.grpc.pb.h"
#include "services/runtime/core/image_committer.h"
#include "services/runtime/core/image_source.h"

namespace berth::runtime {

class ImagesProxy final : public ImageSource, public ImageCommitter {
 public:
  static absl::StatusOr<std::unique_ptr<ImagesProxy>> Dial(const std::string& address);

  absl::StatusOr<PreparedRootfs> PrepareRootfs(const std::string& ns, const std::string& image,
                                               const std::string& key) override;
  absl::StatusOr<std::vector<RootfsMount>> RootfsMounts(const std::string& ns,
                                                        const std::string& snapshotter,
                                                        const std::string& key) override;
  absl::StatusOr<int64_t> RootfsUsage(const std::string& ns, const std::string& snapshotter,
                                      const std::string& key) override;
  absl::StatusOr<int64_t> ImageSize(const std::string& ns, const std::string& image) override;
  absl::Status RemoveRootfs(const std::string& ns, const std::string& snapshotter,
                            const std::string& key) override;
  absl::StatusOr<ImageRuntimeConfig> ImageConfig(const std::string& ns,
                                                 const std::string& image) override;
  absl::StatusOr<std::string> CommitSnapshot(const std::string& ns,
                                             const SnapshotCommit& commit) override;

 private:
  ImagesProxy(std::unique_ptr<images::v1::Images::Stub> images,
              std::unique_ptr<images::v1::Snapshots::Stub> snapshots)
      : images_(std::move(images)), snapshots_(std::move(snapshots)) {}

  std::unique_ptr<images::v1::Images::Stub> images_;
  std::unique_ptr<images::v1::Snapshots::Stub> snapshots_;
};

}  // namespace berth::runtime
