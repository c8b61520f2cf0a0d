// berth.runtime.v1.Tasks over the supervisor: lifecycle calls forward to it; Attach
// bridges the client's stream and the shim's (stdio_bridge.cc).
#pragma once

#include "berth/runtime/v1/tasks.grpc.pb.h"
#include "services/runtime/core/container_store.h"
#include "services/runtime/supervisor/container_supervisor.h"

namespace berth::runtime {

class TasksService final : public v1::Tasks::Service {
 public:
  TasksService(ContainerStore* store, ContainerSupervisor* supervisor)
      : store_(store), supervisor_(supervisor) {}

  grpc::Status Start(grpc::ServerContext* context, const v1::StartTaskRequest* request,
                     v1::StartTaskResponse* response) override;
  grpc::Status Stop(grpc::ServerContext* context, const v1::StopTaskRequest* request,
                    google::protobuf::Empty* response) override;
  grpc::Status Kill(grpc::ServerContext* context, const v1::KillTaskRequest* request,
                    google::protobuf::Empty* response) override;
  grpc::Status Pause(grpc::ServerContext* context, const v1::PauseTaskRequest* request,
                     google::protobuf::Empty* response) override;
  grpc::Status Resume(grpc::ServerContext* context, const v1::ResumeTaskRequest* request,
                      google::protobuf::Empty* response) override;
  grpc::Status Restart(grpc::ServerContext* context, const v1::RestartTaskRequest* request,
                       google::protobuf::Empty* response) override;
  grpc::Status Wait(grpc::ServerContext* context, const v1::WaitTaskRequest* request,
                    v1::WaitTaskResponse* response) override;
  grpc::Status Exec(grpc::ServerContext* context, const v1::CreateExecRequest* request,
                    v1::CreateExecResponse* response) override;
  grpc::Status StartExec(grpc::ServerContext* context, const v1::StartExecRequest* request,
                         v1::StartExecResponse* response) override;
  grpc::Status InspectExec(grpc::ServerContext* context, const v1::InspectExecRequest* request,
                           v1::InspectExecResponse* response) override;
  grpc::Status ResizePty(grpc::ServerContext* context, const v1::ResizePtyRequest* request,
                         google::protobuf::Empty* response) override;
  grpc::Status CloseStdin(grpc::ServerContext* context, const v1::CloseStdinRequest* request,
                          google::protobuf::Empty* response) override;
  grpc::Status Attach(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::AttachResponse, v1::AttachRequest>* stream) override;
  grpc::Status ListPids(grpc::ServerContext* context, const v1::ListPidsRequest* request,
                        v1::ListPidsResponse* response) override;
  grpc::Status Top(grpc::ServerContext* context, const v1::TopRequest* request,
                   v1::TopResponse* response) override;
  grpc::Status Stats(grpc::ServerContext* context, const v1::StatsRequest* request,
                     grpc::ServerWriter<v1::StatsResponse>* writer) override;

 private:
  ContainerStore* store_;
  ContainerSupervisor* supervisor_;
};

// Attach's work, in stdio_bridge.cc.
absl::Status BridgeAttach(ContainerSupervisor& supervisor, const std::string& ns,
                          grpc::ServerContext& context,
                          grpc::ServerReaderWriter<v1::AttachResponse, v1::AttachRequest>& stream);

}  // namespace berth::runtime
