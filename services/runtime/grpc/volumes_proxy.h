// VolumeSource over the volume service's gRPC API, at its configured address.
#pragma once

#include <memory>
#include <string>

#include "berth/volumes/v1/volumes.grpc.pb.h"
#include "services/runtime/supervisor/volume_source.h"

namespace berth::runtime {

class VolumesProxy final : public VolumeSource {
 public:
  static absl::StatusOr<std::unique_ptr<VolumesProxy>> Dial(const std::string& address);

  absl::StatusOr<volumes::v1::ResolveMountsResponse> Resolve(
      const std::string& ns, const volumes::v1::ResolveMountsRequest& request) override;
  absl::Status Release(const std::string& ns, const std::string& container_id,
                       bool remove_anonymous) override;

 private:
  explicit VolumesProxy(std::unique_ptr<volumes::v1::Volumes::Stub> stub)
      : stub_(std::move(stub)) {}
  std::unique_ptr<volumes::v1::Volumes::Stub> stub_;
};

}  // namespace berth::runtime
