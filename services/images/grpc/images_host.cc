#include "services/images/grpc/images_host.h"

#include "berth/images/v1/build.grpc.pb.h"
#include "berth/images/v1/content.grpc.pb.h"
#include "berth/images/v1/images.grpc.pb.h"
#include "berth/images/v1/leases.grpc.pb.h"
#include "berth/images/v1/snapshots.grpc.pb.h"
#include "berth/images/v1/transfer.grpc.pb.h"
#include "common/status_macros.h"
#include "services/images/core/image_root.h"
#include "services/images/core/storage_driver.h"
#include "services/images/grpc/content_service.h"
#include "services/images/grpc/images_metrics.h"
#include "services/images/grpc/images_service.h"
#include "services/images/grpc/leases_service.h"
#include "services/images/grpc/snapshots_service.h"
#include "services/images/grpc/transfer_service.h"

namespace berth::images {

absl::StatusOr<rpc::HostedService> HostImagesService(const rpc::ServiceSetup& setup) {
  ImageRootOptions options{.root_dir = setup.root_dir,
                           .storage_driver = DetectStorageDriver(setup.config->storage_driver),
                           .registry_mirrors = setup.config->registry_mirrors,
                           .insecure_registries = setup.config->insecure_registries,
                           .certs_dir = setup.config->registry_certs_dir};
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<ImageRoot> opened, ImageRoot::Open(options));
  std::shared_ptr<ImageRoot> root = std::move(opened);
  rpc::HostedService hosted;
  hosted.name = "images";
  if (setup.metrics) {
    root->SetEvents(RegisterImagesMetrics(setup.metrics));
    hosted.collectables.push_back(MakeImagesUsageCollector(root));
  }
  hosted.Add<v1::Content>(std::make_unique<ContentService>(root));
  hosted.Add<v1::Images>(std::make_unique<ImagesService>(root));
  hosted.Add<v1::Snapshots>(std::make_unique<SnapshotsService>(root));
  hosted.Add<v1::Leases>(std::make_unique<LeasesService>(root));
  hosted.Add<v1::Transfer>(std::make_unique<TransferService>(root));
  hosted.AddPending<v1::Builder>();
  hosted.details["storage_driver"] = root->snapshotter().name();
  hosted.details["content_root"] = setup.root_dir + "/content";
  return hosted;
}

}  // namespace berth::images
