#include "services/volumes/grpc/volumes_host.h"

#include "berth/volumes/v1/volumes.grpc.pb.h"
#include "common/status_macros.h"
#include "services/volumes/core/volume_manager.h"
#include "services/volumes/grpc/volumes_metrics.h"
#include "services/volumes/grpc/volumes_service.h"

namespace berth::volumes {

absl::StatusOr<rpc::HostedService> HostVolumesService(const rpc::ServiceSetup& setup) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<VolumeManager> opened,
                         VolumeManager::Open(setup.root_dir, setup.state_dir));
  std::shared_ptr<VolumeManager> manager = std::move(opened);
  rpc::HostedService hosted;
  hosted.name = "volumes";
  hosted.Add<v1::Volumes>(std::make_unique<VolumesService>(manager));
  if (setup.metrics) hosted.collectables.push_back(MakeVolumesCollector(manager));
  hosted.details["driver"] = "local";
  hosted.details["volumes_root"] = setup.root_dir;
  return hosted;
}

}  // namespace berth::volumes
