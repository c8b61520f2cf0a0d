// What `docker commit` needs of the images service, as an interface: the config of the
// image a container was created from, and a new image made of the container's snapshot.
// The gRPC proxy (services/runtime/grpc/images_proxy.h) implements it over berth.images.v1.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/runtime/core/container_options.h"

namespace berth::runtime {

struct SnapshotCommit {
  std::string snapshotter;
  std::string snapshot_key;  // the container's active snapshot
  std::string parent;        // the image ID the snapshot was prepared from
  std::string container_id;
  ImageRuntimeConfig config;         // the container's effective config
  std::vector<std::string> changes;  // Dockerfile instructions applied to `config`
  std::string reference;             // tagged when set, dangling otherwise
  std::string author;
  std::string comment;
  std::vector<std::string> mount_points;  // the runtime's own, left out while empty
};

class ImageCommitter {
 public:
  virtual ~ImageCommitter() = default;
  // The runnable config of `image` (a reference or ID) in namespace `ns`.
  virtual absl::StatusOr<ImageRuntimeConfig> ImageConfig(const std::string& ns,
                                                         const std::string& image) = 0;
  // The new image's ID ("sha256:<hex>").
  virtual absl::StatusOr<std::string> CommitSnapshot(const std::string& ns,
                                                     const SnapshotCommit& commit) = 0;
};

}  // namespace berth::runtime
