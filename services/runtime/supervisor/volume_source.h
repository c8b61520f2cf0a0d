// What the runtime needs of the volume service, as an interface: a container's mount
// requests resolved into concrete mounts (volumes created and filled as needed, the
// container recorded as their user), and released when the container goes. The gRPC
// proxy (services/runtime/grpc/volumes_proxy.h) implements it over berth.volumes.v1.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "berth/volumes/v1/volumes.pb.h"

namespace berth::runtime {

class VolumeSource {
 public:
  virtual ~VolumeSource() = default;
  virtual absl::StatusOr<volumes::v1::ResolveMountsResponse> Resolve(
      const std::string& ns, const volumes::v1::ResolveMountsRequest& request) = 0;
  // Drops the container's references; `remove_anonymous` also removes its anonymous
  // volumes nothing else uses (`rm -v`, `run --rm`).
  virtual absl::Status Release(const std::string& ns, const std::string& container_id,
                               bool remove_anonymous) = 0;
};

}  // namespace berth::runtime
