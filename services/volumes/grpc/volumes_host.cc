#include "services/volumes/grpc/volumes_host.h"

#include "berth/volumes/v1/volumes.grpc.pb.h"

namespace berth::volumes {

absl::StatusOr<rpc::HostedService> HostVolumesService(const rpc::ServiceSetup& setup) {
  rpc::HostedService hosted;
  hosted.name = "volumes";
  hosted.AddPending<v1::Volumes>();
  hosted.details["driver"] = "local";
  hosted.details["volumes_root"] = setup.root_dir;
  return hosted;
}

}  // namespace berth::volumes
