#include "services/images/grpc/images_host.h"

#include "berth/images/v1/build.grpc.pb.h"
#include "berth/images/v1/content.grpc.pb.h"
#include "berth/images/v1/images.grpc.pb.h"
#include "berth/images/v1/leases.grpc.pb.h"
#include "berth/images/v1/snapshots.grpc.pb.h"
#include "berth/images/v1/transfer.grpc.pb.h"
#include "services/images/core/storage_driver.h"

namespace berth::images {

absl::StatusOr<rpc::HostedService> HostImagesService(const rpc::ServiceSetup& setup) {
  rpc::HostedService hosted;
  hosted.name = "images";
  hosted.AddPending<v1::Content>();
  hosted.AddPending<v1::Images>();
  hosted.AddPending<v1::Snapshots>();
  hosted.AddPending<v1::Leases>();
  hosted.AddPending<v1::Transfer>();
  hosted.AddPending<v1::Builder>();
  hosted.details["storage_driver"] = DetectStorageDriver(setup.config->storage_driver);
  hosted.details["content_root"] = setup.root_dir + "/content";
  return hosted;
}

}  // namespace berth::images
