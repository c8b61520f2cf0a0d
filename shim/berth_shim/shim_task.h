// The container a shim owns: its init and exec'd processes, rootfs mount, cgroup, log
// and exit status, and the shim API's methods over them. One per shim process; all of
// it runs on the event loop's thread.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "berth/shim/v1/shim.pb.h"
#include "common/logfile/log_writer.h"
#include "common/unique_fd.h"
#include "shim/berth_shim/event_loop.h"
#include "shim/berth_shim/rpc_server.h"
#include "shim/berth_shim/task_process.h"
#include "shim/oci/cgroups/cgroup.h"
#include "shim/oci/rootfs_mounts.h"
#include "shim/oci/spec.h"
#include "shim/protocol/recorded_exit.h"

namespace berth::shim {

class ShimTask {
 public:
  ShimTask(EventLoop& loop, std::string id, std::string state_dir)
      : loop_(loop), id_(std::move(id)), state_dir_(std::move(state_dir)) {}

  void Register(RpcServer& server);
  // SIGCHLD: reaps every exited child and settles the processes they were.
  void ReapChildren();
  // True once Shutdown was asked and nothing is left to own.
  bool done() const { return done_; }

 private:
  absl::StatusOr<v1::ConnectResponse> Connect(const v1::ConnectRequest& request);
  absl::StatusOr<v1::CreateTaskResponse> Create(const v1::CreateTaskRequest& request);
  absl::StatusOr<v1::StartResponse> Start(const v1::StartRequest& request);
  absl::StatusOr<v1::StateResponse> State(const v1::StateRequest& request);
  absl::StatusOr<google::protobuf::Empty> Kill(const v1::KillRequest& request);
  absl::StatusOr<v1::DeleteResponse> Delete(const v1::DeleteRequest& request);
  absl::StatusOr<google::protobuf::Empty> Pause(const v1::PauseRequest& request);
  absl::StatusOr<google::protobuf::Empty> Resume(const v1::ResumeRequest& request);
  absl::StatusOr<google::protobuf::Empty> Exec(const v1::ExecProcessRequest& request);
  absl::StatusOr<google::protobuf::Empty> ResizePty(const v1::ResizePtyRequest& request);
  absl::StatusOr<google::protobuf::Empty> CloseIO(const v1::CloseIORequest& request);
  absl::StatusOr<v1::StatsResponse> Stats(const v1::StatsRequest& request);
  absl::StatusOr<v1::PidsResponse> Pids(const v1::PidsRequest& request);
  absl::StatusOr<google::protobuf::Empty> Update(const v1::UpdateTaskRequest& request);
  absl::StatusOr<google::protobuf::Empty> Shutdown(const v1::ShutdownRequest& request);
  void Wait(const v1::WaitRequest& request, Reply reply);
  void Subscribe(const v1::SubscribeRequest& request, Reply reply);
  void Attach(const v1::AttachIORequest& request, Reply reply);
  void WriteStdin(const v1::WriteStdinRequest& request, Reply reply);

  absl::Status CheckId(const std::string& id) const;
  absl::StatusOr<TaskProcess*> Find(const std::string& exec_id);
  absl::StatusOr<TaskProcess*> RequireInit();
  absl::Status StartInit();
  absl::StatusOr<pid_t> StartExec(TaskProcess& process);
  void OnInitExit(int wait_status);
  void WatchOom();
  void Publish(v1::ShimEvent& event);
  void Log(v1::IOStream stream, absl::string_view bytes);

  EventLoop& loop_;
  const std::string id_;
  const std::string state_dir_;
  std::string bundle_;
  std::optional<oci::Spec> spec_;
  std::unique_ptr<oci::Cgroup> cgroup_;
  oci::RootfsMounts rootfs_;
  std::unique_ptr<TaskProcess> init_;
  std::map<std::string, std::unique_ptr<TaskProcess>> execs_;
  UniqueFd exec_fifo_;    // O_PATH, until Start
  UniqueFd exec_errors_;  // the init's error pipe, until Start
  UniqueFd oom_events_;
  uint64_t oom_kills_ = 0;
  bool oom_seen_ = false;
  std::optional<logfile::LogWriter> log_;
  std::vector<Reply> subscribers_;
  bool done_ = false;
};

}  // namespace berth::shim
