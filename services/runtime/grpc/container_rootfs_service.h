// berth.runtime.v1.ContainerRootfs (commit, export) over the container store, the
// supervisor (pause/resume) and the images service's proxy.
#pragma once

#include <string>

#include "berth/runtime/v1/rootfs.grpc.pb.h"
#include "services/runtime/core/container_store.h"
#include "services/runtime/core/image_committer.h"
#include "services/runtime/core/image_source.h"
#include "services/runtime/supervisor/container_supervisor.h"

namespace berth::runtime {

class ContainerRootfsService final : public v1::ContainerRootfs::Service {
 public:
  // Export mounts a container's view under `export_dir`.
  ContainerRootfsService(ContainerStore* store, ContainerSupervisor* supervisor,
                         ImageSource* images, ImageCommitter* committer, std::string export_dir)
      : store_(store),
        supervisor_(supervisor),
        images_(images),
        committer_(committer),
        export_dir_(std::move(export_dir)) {}

  grpc::Status Commit(grpc::ServerContext* context, const v1::CommitContainerRequest* request,
                      v1::CommitContainerResponse* response) override;
  grpc::Status Export(grpc::ServerContext* context, const v1::ExportContainerRequest* request,
                      grpc::ServerWriter<v1::ExportContainerResponse>* writer) override;

 private:
  ContainerStore* store_;
  ContainerSupervisor* supervisor_;
  ImageSource* images_;
  ImageCommitter* committer_;
  std::string export_dir_;
};

}  // namespace berth::runtime
