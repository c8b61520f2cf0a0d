// What the runtime needs of the images service, as an interface: a container's root file
// system prepared from an image (a new active snapshot and how to mount it), its disk
// usage, and removed again. The gRPC proxy (services/runtime/grpc/images_proxy.h) implements it
// over berth.images.v1; tests may implement it over a directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/runtime/core/container_options.h"

namespace berth::runtime {

// One mount(2) of a root file system (an overlay, or a bind of a directory).
struct RootfsMount {
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

struct PreparedRootfs {
  std::string image_id;     // "sha256:<hex>"
  std::string snapshotter;  // whose snapshot `key` is
  std::vector<RootfsMount> mounts;
  ImageRuntimeConfig config;
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // A new active snapshot `key` over the image `image` (a reference or ID) in namespace
  // `ns`. NotFound "No such image: <image>" when it is not there.
  virtual absl::StatusOr<PreparedRootfs> PrepareRootfs(const std::string& ns,
                                                       const std::string& image,
                                                       const std::string& key) = 0;
  // How to mount the existing snapshot `key` again (a container started anew).
  virtual absl::StatusOr<std::vector<RootfsMount>> RootfsMounts(const std::string& ns,
                                                                const std::string& snapshotter,
                                                                const std::string& key) = 0;
  // Bytes the snapshot `key` holds on its own, its parents left out (a container's
  // writable layer: Docker's SizeRw).
  virtual absl::StatusOr<int64_t> RootfsUsage(const std::string& ns, const std::string& snapshotter,
                                              const std::string& key) = 0;
  // The image's size, its layers unpacked; `image` is a reference or ID.
  virtual absl::StatusOr<int64_t> ImageSize(const std::string& ns, const std::string& image) = 0;
  // Removes the snapshot; NotFound when it is gone already.
  virtual absl::Status RemoveRootfs(const std::string& ns, const std::string& snapshotter,
                                    const std::string& key) = 0;
};

}  // namespace berth::runtime
