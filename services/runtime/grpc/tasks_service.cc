#include "services/runtime/grpc/tasks_service.h"

#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "services/runtime/grpc/runtime_convert.h"
#include "services/runtime/grpc/top_command.h"

namespace berth::runtime {
namespace {

template <typename Request>
std::optional<absl::Duration> TimeoutOf(const Request& request) {
  if (!request.has_timeout()) return std::nullopt;
  return absl::Seconds(request.timeout().seconds()) + absl::Nanoseconds(request.timeout().nanos());
}

}  // namespace

grpc::Status TasksService::Start(grpc::ServerContext* context, const v1::StartTaskRequest* request,
                                 v1::StartTaskResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(int pid, supervisor_->Start(ns, request->id()));
    response->set_pid(pid);
    return absl::OkStatus();
  }());
}

grpc::Status TasksService::Stop(grpc::ServerContext* context, const v1::StopTaskRequest* request,
                                google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    return supervisor_->Stop(ns, request->id(), TimeoutOf(*request), request->signal());
  }());
}

grpc::Status TasksService::Kill(grpc::ServerContext* context, const v1::KillTaskRequest* request,
                                google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    return supervisor_->Kill(ns, request->id(), request->exec_id(), request->signal(),
                             request->all());
  }());
}

grpc::Status TasksService::Pause(grpc::ServerContext* context, const v1::PauseTaskRequest* request,
                                 google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    return supervisor_->Pause(ns, request->id());
  }());
}

grpc::Status TasksService::Resume(grpc::ServerContext* context,
                                  const v1::ResumeTaskRequest* request, google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    return supervisor_->Resume(ns, request->id());
  }());
}

grpc::Status TasksService::Restart(grpc::ServerContext* context,
                                   const v1::RestartTaskRequest* request,
                                   google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    return supervisor_->Restart(ns, request->id(), TimeoutOf(*request), request->signal());
  }());
}

grpc::Status TasksService::Wait(grpc::ServerContext* context, const v1::WaitTaskRequest* request,
                                v1::WaitTaskResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(ExitInfo exit,
                           supervisor_->Wait(ns, request->id(), request->condition(),
                                             [context] { return context->IsCancelled(); }));
    response->set_exit_code(exit.exit_code);
    ToProto(exit.exited_at, response->mutable_exited_at());
    return absl::OkStatus();
  }());
}

grpc::Status TasksService::Exec(grpc::ServerContext* context, const v1::CreateExecRequest* request,
                                v1::CreateExecResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(std::string exec_id, supervisor_->CreateExec(ns, *request));
    response->set_exec_id(exec_id);
    return absl::OkStatus();
  }());
}

grpc::Status TasksService::StartExec(grpc::ServerContext* context,
                                     const v1::StartExecRequest* request,
                                     v1::StartExecResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(int pid, supervisor_->StartExec(ns, request->exec_id()));
    response->set_pid(pid);
    return absl::OkStatus();
  }());
}

grpc::Status TasksService::InspectExec(grpc::ServerContext* context,
                                       const v1::InspectExecRequest* request,
                                       v1::InspectExecResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(*response->mutable_exec(),
                           supervisor_->InspectExec(ns, request->exec_id()));
    return absl::OkStatus();
  }());
}

grpc::Status TasksService::ResizePty(grpc::ServerContext* context,
                                     const v1::ResizePtyRequest* request,
                                     google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    std::string id;
    BERTH_ASSIGN_OR_RETURN(auto shim, supervisor_->ShimOf(ns, request->id(), &id));
    shim::v1::ResizePtyRequest resize;
    resize.set_id(id);
    resize.set_exec_id(request->exec_id());
    resize.set_width(request->size().width());
    resize.set_height(request->size().height());
    return shim->Call("ResizePty", resize, nullptr);
  }());
}

grpc::Status TasksService::CloseStdin(grpc::ServerContext* context,
                                      const v1::CloseStdinRequest* request,
                                      google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    std::string id;
    BERTH_ASSIGN_OR_RETURN(auto shim, supervisor_->ShimOf(ns, request->id(), &id));
    shim::v1::CloseIORequest close;
    close.set_id(id);
    close.set_exec_id(request->exec_id());
    close.set_stdin(true);
    return shim->Call("CloseIO", close, nullptr);
  }());
}

grpc::Status TasksService::Attach(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::AttachResponse, v1::AttachRequest>* stream) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    return BridgeAttach(*supervisor_, ns, *context, *stream);
  }());
}

grpc::Status TasksService::ListPids(grpc::ServerContext* context,
                                    const v1::ListPidsRequest* request,
                                    v1::ListPidsResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    std::string id;
    BERTH_ASSIGN_OR_RETURN(auto shim, supervisor_->ShimOf(ns, request->id(), &id));
    shim::v1::PidsRequest pids;
    pids.set_id(id);
    BERTH_ASSIGN_OR_RETURN(auto listed, shim->Call<shim::v1::PidsResponse>("Pids", pids));
    for (const shim::v1::ProcessInfo& process : listed.processes()) {
      v1::ProcessInfo* out = response->add_processes();
      out->set_pid(static_cast<int32_t>(process.pid()));
      out->set_exec_id(process.exec_id());
    }
    return absl::OkStatus();
  }());
}

grpc::Status TasksService::Top(grpc::ServerContext* context, const v1::TopRequest* request,
                               v1::TopResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    std::string id;
    BERTH_ASSIGN_OR_RETURN(auto shim, supervisor_->ShimOf(ns, request->id(), &id));
    shim::v1::PidsRequest pids;
    pids.set_id(id);
    BERTH_ASSIGN_OR_RETURN(auto listed, shim->Call<shim::v1::PidsResponse>("Pids", pids));
    std::vector<int> pid_list;
    for (const auto& process : listed.processes())
      pid_list.push_back(static_cast<int>(process.pid()));
    BERTH_ASSIGN_OR_RETURN(
        TopTable table, RunTop(request->ps_args().empty() ? "-ef" : request->ps_args(), pid_list));
    response->mutable_titles()->Add(table.titles.begin(), table.titles.end());
    for (const auto& row : table.rows) {
      response->add_processes()->mutable_fields()->Add(row.begin(), row.end());
    }
    return absl::OkStatus();
  }());
}

grpc::Status TasksService::Stats(grpc::ServerContext* context, const v1::StatsRequest* request,
                                 grpc::ServerWriter<v1::StatsResponse>* writer) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    const absl::Duration interval = request->has_interval()
                                        ? absl::Seconds(request->interval().seconds()) +
                                              absl::Nanoseconds(request->interval().nanos())
                                        : absl::Seconds(1);
    for (;;) {
      std::vector<std::string> ids(request->ids().begin(), request->ids().end());
      if (ids.empty()) {
        BERTH_ASSIGN_OR_RETURN(std::vector<ContainerRecord> records, store_->List(ns));
        for (const ContainerRecord& record : records) {
          if (record.state.status == ContainerStatus::kRunning) ids.push_back(record.id);
        }
      }
      v1::StatsResponse response;
      for (const std::string& ref : ids) {
        std::string id;
        absl::StatusOr<std::shared_ptr<shim::ShimClient>> shim = supervisor_->ShimOf(ns, ref, &id);
        if (!shim.ok()) {
          if (!request->ids().empty()) return shim.status();
          continue;
        }
        shim::v1::StatsRequest stats_request;
        stats_request.set_id(id);
        auto stats = (*shim)->Call<shim::v1::StatsResponse>("Stats", stats_request);
        if (!stats.ok()) continue;
        absl::StatusOr<ContainerRecord> record = store_->Get(ns, id);
        v1::ContainerStats* out = response.add_stats();
        out->set_id(id);
        if (record.ok()) {
          out->set_name(record->name);
          out->set_image(record->image);
        }
        *out->mutable_metrics() = stats->metrics();
      }
      if (!writer->Write(response)) return absl::OkStatus();
      if (!request->stream()) return absl::OkStatus();
      const absl::Time next = absl::Now() + interval;
      while (absl::Now() < next) {
        if (context->IsCancelled()) return absl::OkStatus();
        absl::SleepFor(std::min(interval, absl::Milliseconds(200)));
      }
    }
  }());
}

}  // namespace berth::runtime
