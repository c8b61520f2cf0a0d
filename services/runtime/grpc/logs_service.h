// berth.runtime.v1.Logs over the json-file (or CRI) log the container's shim writes.
#pragma once

#include "berth/runtime/v1/logs.grpc.pb.h"
#include "services/runtime/core/container_store.h"
#include "services/runtime/supervisor/container_supervisor.h"

namespace berth::runtime {

class LogsService final : public v1::Logs::Service {
 public:
  LogsService(ContainerStore* store, ContainerSupervisor* supervisor)
      : store_(store), supervisor_(supervisor) {}

  grpc::Status Read(grpc::ServerContext* context, const v1::ReadLogsRequest* request,
                    grpc::ServerWriter<v1::ReadLogsResponse>* writer) override;

 private:
  ContainerStore* store_;
  ContainerSupervisor* supervisor_;
};

}  // namespace berth::runtime
