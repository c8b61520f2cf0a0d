#include "shim/berth_shim/shim_task.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_text.h"
#include "common/status_macros.h"
#include "common/version.h"
#include "shim/berth_shim/net_dev.h"
#include "shim/oci/container_process.h"
#include "shim/oci/fd_passing.h"
#include "shim/oci/spec_cgroup.h"
#include "shim/protocol/proto_time.h"

namespace berth::shim {
namespace {

constexpr char kFifoFile[] = "exec.fifo";

// A new process' stdio before launch: the shim's ends, the child's ends, and with a
// terminal the socket pair its pty master arrives on (runc's console socket protocol).
struct PreparedStdio {
  ProcessStdio mine;
  ChildStdio child;
  UniqueFd console_ours, console_theirs;
};

absl::StatusOr<PreparedStdio> PrepareStdio(bool terminal, bool with_stdin) {
  PreparedStdio prepared;
  if (!terminal) {
    BERTH_RETURN_IF_ERROR(MakePipes(with_stdin, prepared.mine, prepared.child));
    return prepared;
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return absl::ErrnoToStatus(errno, "socketpair for the console");
  }
  prepared.console_ours = UniqueFd(pair[0]);
  prepared.console_theirs = UniqueFd(pair[1]);
  return prepared;
}

// The pty master the process sent over the console socket.
absl::StatusOr<UniqueFd> ReceivePtyMaster(int socket) {
  pollfd ready{socket, POLLIN, 0};
  if (::poll(&ready, 1, 10000) <= 0) {
    return absl::DeadlineExceededError("the container sent no terminal");
  }
  char name[256];
  size_t name_size = 0;
  int fd = oci::ReceiveFd(socket, name, sizeof(name), &name_size);
  if (fd == -EBADMSG) return absl::InternalError("the console socket carried no fd");
  if (fd < 0) return absl::ErrnoToStatus(-fd, "receiving the pty master");
  return UniqueFd(fd);
}

// Takes the child's ends (closing ours of theirs) and, with a terminal, the pty master.
absl::StatusOr<ProcessStdio> FinishStdio(PreparedStdio& prepared) {
  prepared.child = ChildStdio{};
  prepared.console_theirs.Reset();
  if (prepared.console_ours) {
    BERTH_ASSIGN_OR_RETURN(prepared.mine.pty_master, ReceivePtyMaster(prepared.console_ours.get()));
  }
  return std::move(prepared.mine);
}

// True when `pid` is gone or a zombie: an init that died before Start.
bool Dead(pid_t pid) {
  auto stat = ReadFileText(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return true;
  size_t close = stat->rfind(')');
  return close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] == 'Z';
}

// Parsing the spec and planning the launch take a megabyte of heap that is free again
// afterwards; an idle shim hands it back rather than keep it for its whole life.
template <typename T>
T Trimmed(T result) {
  ::malloc_trim(0);
  return result;
}

// Host CPU time since boot over all CPUs (the "cpu" line of /proc/stat), in ns: the
// denominator of `docker stats`' CPU %.
uint64_t HostCpuTimeNs() {
  absl::StatusOr<std::string> text = ReadFileText("/proc/stat");
  if (!text.ok()) return 0;
  absl::string_view line = *text;
  line = line.substr(0, line.find('\n'));
  if (!absl::ConsumePrefix(&line, "cpu ")) return 0;
  uint64_t ticks = 0;
  int field = 0;
  // user nice system idle iowait irq softirq steal; guest time is already in user.
  for (absl::string_view value : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
    uint64_t n = 0;
    if (field++ < 8 && absl::SimpleAtoi(value, &n)) ticks += n;
  }
  return ticks * (1000000000 / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
}

uint64_t HostMemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * page_size : 0;
}

void ToProto(const oci::CgroupStats& stats, types::v1::ContainerMetrics& out) {
  out.mutable_cpu()->set_usage_total_ns(stats.cpu.usage_ns);
  out.mutable_cpu()->set_usage_user_ns(stats.cpu.user_ns);
  out.mutable_cpu()->set_usage_system_ns(stats.cpu.system_ns);
  out.mutable_cpu()->set_system_usage_ns(HostCpuTimeNs());
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  out.mutable_cpu()->set_online_cpus(cpus > 0 ? static_cast<uint32_t>(cpus) : 1);
  types::v1::MemoryStats* memory = out.mutable_memory();
  memory->set_usage(stats.memory.usage);
  memory->set_max_usage(stats.memory.max_usage);
  // Unlimited shows as the host's RAM, as Docker and cAdvisor's machine view report it.
  const uint64_t host_memory = HostMemoryBytes();
  const uint64_t limit = stats.memory.limit.value_or(host_memory);
  memory->set_limit(host_memory != 0 ? std::min(limit, host_memory) : limit);
  memory->set_spec_limit(stats.memory.limit.value_or(0));
  memory->set_rss(stats.memory.rss);
  memory->set_cache(stats.memory.cache);
  memory->set_swap(stats.memory.swap);
  memory->set_inactive_file(stats.memory.inactive_file);
  memory->set_working_set(stats.memory.usage > stats.memory.inactive_file
                              ? stats.memory.usage - stats.memory.inactive_file
                              : 0);
  memory->set_oom_events(stats.oom_kill_count);
  out.mutable_pids()->set_current(stats.pids.current);
  out.mutable_pids()->set_limit(stats.pids.limit.value_or(0));
  auto add = [&](absl::string_view op, uint64_t value) {
    types::v1::BlkioEntry* entry = out.mutable_blkio()->add_io_service_bytes();
    entry->set_op(std::string(op));
    entry->set_value(value);
  };
  add("read", stats.block_io.bytes_read);
  add("write", stats.block_io.bytes_written);
}

}  // namespace

void ShimTask::Register(RpcServer& server) {
  using google::protobuf::Empty;
  auto unary = [&](const char* name, RpcServer::Method method) {
    server.Register(name, std::move(method));
  };
  unary("Connect", UnaryMethod<v1::ConnectRequest, v1::ConnectResponse>(
                       [this](const auto& r) { return Connect(r); }));
  unary("Create", UnaryMethod<v1::CreateTaskRequest, v1::CreateTaskResponse>(
                      [this](const auto& r) { return Trimmed(Create(r)); }));
  unary("Start", UnaryMethod<v1::StartRequest, v1::StartResponse>(
                     [this](const auto& r) { return Trimmed(Start(r)); }));
  unary("State", UnaryMethod<v1::StateRequest, v1::StateResponse>(
                     [this](const auto& r) { return State(r); }));
  unary("Kill", UnaryMethod<v1::KillRequest, Empty>([this](const auto& r) { return Kill(r); }));
  unary("Delete", UnaryMethod<v1::DeleteRequest, v1::DeleteResponse>(
                      [this](const auto& r) { return Delete(r); }));
  unary("Pause", UnaryMethod<v1::PauseRequest, Empty>([this](const auto& r) { return Pause(r); }));
  unary("Resume",
        UnaryMethod<v1::ResumeRequest, Empty>([this](const auto& r) { return Resume(r); }));
  unary("Exec",
        UnaryMethod<v1::ExecProcessRequest, Empty>([this](const auto& r) { return Exec(r); }));
  unary("ResizePty",
        UnaryMethod<v1::ResizePtyRequest, Empty>([this](const auto& r) { return ResizePty(r); }));
  unary("CloseIO",
        UnaryMethod<v1::CloseIORequest, Empty>([this](const auto& r) { return CloseIO(r); }));
  unary("Stats", UnaryMethod<v1::StatsRequest, v1::StatsResponse>(
                     [this](const auto& r) { return Stats(r); }));
  unary("Pids",
        UnaryMethod<v1::PidsRequest, v1::PidsResponse>([this](const auto& r) { return Pids(r); }));
  unary("Update",
        UnaryMethod<v1::UpdateTaskRequest, Empty>([this](const auto& r) { return Update(r); }));
  server.Register("Shutdown",
                  DeferredMethod<v1::ShutdownRequest>([this](const auto& r, Reply reply) {
                    auto result = Shutdown(r);
                    reply.Answer(result);
                    if (result.ok()) loop_.Stop();
                  }));
  server.Register("Wait", DeferredMethod<v1::WaitRequest>(
                              [this](const auto& r, Reply reply) { Wait(r, std::move(reply)); }));
  server.Register("WriteStdin",
                  DeferredMethod<v1::WriteStdinRequest>(
                      [this](const auto& r, Reply reply) { WriteStdin(r, std::move(reply)); }));
  server.Register("Subscribe",
                  DeferredMethod<v1::SubscribeRequest>(
                      [this](const auto& r, Reply reply) { Subscribe(r, std::move(reply)); }),
                  /*streaming=*/true);
  server.Register("Attach", DeferredMethod<v1::AttachIORequest>([this](const auto& r, Reply reply) {
                    Attach(r, std::move(reply));
                  }),
                  /*streaming=*/true);
}

absl::Status ShimTask::CheckId(const std::string& id) const {
  if (id == id_) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("this shim serves container ", id_, ", not \"", id, "\""));
}

absl::StatusOr<TaskProcess*> ShimTask::RequireInit() {
  if (init_ == nullptr)
    return absl::NotFoundError(absl::StrCat("container ", id_, " is not created"));
  return init_.get();
}

absl::StatusOr<TaskProcess*> ShimTask::Find(const std::string& exec_id) {
  if (exec_id.empty()) return RequireInit();
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) {
    return absl::NotFoundError(absl::StrCat("no exec process \"", exec_id, "\""));
  }
  return it->second.get();
}

absl::StatusOr<v1::ConnectResponse> ShimTask::Connect(const v1::ConnectRequest& request) {
  if (!request.id().empty()) BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  v1::ConnectResponse response;
  response.set_shim_pid(static_cast<uint32_t>(::getpid()));
  response.set_task_pid(init_ == nullptr ? 0 : static_cast<uint32_t>(init_->pid()));
  response.set_version(Version());
  return response;
}

absl::StatusOr<v1::CreateTaskResponse> ShimTask::Create(const v1::CreateTaskRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  if (init_ != nullptr) return absl::AlreadyExistsError(absl::StrCat("container ", id_, " exists"));
  if (request.bundle().empty() || request.bundle()[0] != '/') {
    return absl::InvalidArgumentError("bundle must be an absolute path");
  }
  BERTH_ASSIGN_OR_RETURN(oci::Spec spec, oci::LoadSpec(request.bundle()));
  if (!spec.process.has_value()) return absl::InvalidArgumentError("config.json has no process");
  const std::string root = spec.root.path.empty() || spec.root.path[0] != '/'
                               ? absl::StrCat(request.bundle(), "/", spec.root.path)
                               : spec.root.path;
  std::vector<oci::Mount> rootfs_mounts;
  for (const types::v1::Mount& mount : request.rootfs()) {
    rootfs_mounts.push_back(
        oci::Mount{.destination = "",
                   .type = mount.type(),
                   .source = mount.source(),
                   .options = {mount.options().begin(), mount.options().end()}});
  }
  oci::RootfsMounts rootfs;
  if (!rootfs_mounts.empty()) {
    BERTH_ASSIGN_OR_RETURN(rootfs, oci::RootfsMounts::Mount(rootfs_mounts, root));
  }
  const bool terminal = spec.process->terminal;
  BERTH_ASSIGN_OR_RETURN(PreparedStdio stdio, PrepareStdio(terminal, request.stdin()));

  const std::string fifo_path = absl::StrCat(state_dir_, "/", kFifoFile);
  ::unlink(fifo_path.c_str());
  if (::mkfifo(fifo_path.c_str(), 0600) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkfifo ", fifo_path));
  }
  UniqueFd fifo(::open(fifo_path.c_str(), O_PATH | O_CLOEXEC));
  if (!fifo) return absl::ErrnoToStatus(errno, absl::StrCat("open ", fifo_path));

  oci::LaunchOptions options;
  options.container_id = id_;
  options.exec_fifo_fd = fifo.get();
  options.console_socket = stdio.console_theirs ? stdio.console_theirs.get() : -1;
  if (!terminal) options.stdio = stdio.child.fds();
  BERTH_ASSIGN_OR_RETURN(oci::LaunchedContainer launched,
                         oci::LaunchContainer(spec, request.bundle(), options));
  absl::StatusOr<ProcessStdio> mine = FinishStdio(stdio);
  if (!mine.ok()) {
    ::kill(launched.pid, SIGKILL);
    ::waitpid(launched.pid, nullptr, 0);
    launched.cgroup->Destroy().IgnoreError();
    return mine.status();
  }
  if (request.has_log() && request.log().driver() != "none" && !request.log().path().empty()) {
    logfile::LogWriterOptions log_options;
    log_options.path = request.log().path();
    log_options.format = request.log().driver() == "cri" ? logfile::LogWriterOptions::kCri
                                                         : logfile::LogWriterOptions::kJsonFile;
    log_options.max_size_bytes = request.log().max_size_bytes();
    log_options.max_files = std::max(1, request.log().max_files());
    auto writer = logfile::LogWriter::Open(log_options);
    if (!writer.ok()) {
      ::kill(launched.pid, SIGKILL);
      ::waitpid(launched.pid, nullptr, 0);
      launched.cgroup->Destroy().IgnoreError();
      return writer.status();
    }
    log_.emplace(*std::move(writer));
  }

  init_ = std::make_unique<TaskProcess>(loop_, "", terminal, request.stdin());
  init_->Created(launched.pid);
  init_->set_output_sink(
      [this](v1::IOStream stream, absl::string_view bytes) { Log(stream, bytes); });
  BERTH_RETURN_IF_ERROR(init_->AdoptStdio(*std::move(mine)));
  bundle_ = request.bundle();
  spec_ = std::move(spec);
  cgroup_ = std::move(launched.cgroup);
  exec_errors_ = std::move(launched.exec_errors);
  exec_fifo_ = std::move(fifo);
  rootfs_ = std::move(rootfs);
  WatchOom();
  v1::CreateTaskResponse response;
  response.set_pid(static_cast<uint32_t>(launched.pid));
  return response;
}

void ShimTask::WatchOom() {
  auto count = cgroup_->OomKillCount();
  oom_kills_ = count.ok() ? *count : 0;
  auto fd = cgroup_->OomEventFd();
  if (!fd.ok()) return;  // no memory controller: OOM kills cannot be told apart
  oom_events_ = std::move(*fd);
  loop_
      .Add(oom_events_.get(), EPOLLIN,
           [this](uint32_t) {
             char discard[4096];
             if (::read(oom_events_.get(), discard, sizeof(discard)) <= 0 && errno != EAGAIN) {
               loop_.Remove(oom_events_.get());  // v1: the cgroup went away
               return;
             }
             auto now = cgroup_->OomKillCount();
             if (!now.ok() || *now <= oom_kills_) return;
             oom_kills_ = *now;
             oom_seen_ = true;
             v1::ShimEvent event;
             event.mutable_oom()->set_id(id_);
             Publish(event);
           })
      .IgnoreError();
}

absl::StatusOr<v1::StartResponse> ShimTask::Start(const v1::StartRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  BERTH_ASSIGN_OR_RETURN(TaskProcess * process, Find(request.exec_id()));
  if (process->status() != v1::TASK_STATUS_CREATED || process->exited()) {
    return absl::FailedPreconditionError(
        absl::StrCat("process \"", request.exec_id(), "\" is not in the created state"));
  }
  v1::StartResponse response;
  if (!request.exec_id().empty()) {
    BERTH_ASSIGN_OR_RETURN(pid_t pid, StartExec(*process));
    response.set_pid(static_cast<uint32_t>(pid));
    return response;
  }
  BERTH_RETURN_IF_ERROR(StartInit());
  response.set_pid(static_cast<uint32_t>(init_->pid()));
  return response;
}

absl::Status ShimTask::StartInit() {
  const std::string fifo_path = absl::StrCat(state_dir_, "/", kFifoFile);
  // Opening the fifo for reading lets the init, blocked opening it for writing, write
  // its byte and exec. Non-blocking, so that an init that died is noticed.
  UniqueFd fifo(::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return absl::ErrnoToStatus(errno, absl::StrCat("open ", fifo_path));
  for (;;) {
    pollfd ready{fifo.get(), POLLIN, 0};
    if (::poll(&ready, 1, 100) > 0 && (ready.revents & POLLIN)) {
      char byte = 0;
      if (::read(fifo.get(), &byte, 1) == 1) break;
    }
    if (Dead(init_->pid())) {
      return absl::FailedPreconditionError("the container's init exited before it was started");
    }
  }
  ::unlink(fifo_path.c_str());
  exec_fifo_.Reset();
  absl::Status exec = oci::AwaitExec(exec_errors_);
  if (!exec.ok()) return exec;
  init_->Started(init_->pid());
  return absl::OkStatus();
}

absl::StatusOr<pid_t> ShimTask::StartExec(TaskProcess& process) {
  if (init_->status() != v1::TASK_STATUS_RUNNING) {
    return absl::FailedPreconditionError("the container is not running");
  }
  BERTH_ASSIGN_OR_RETURN(PreparedStdio stdio,
                         PrepareStdio(process.terminal(), process.with_stdin()));
  const int console = stdio.console_theirs ? stdio.console_theirs.get() : -1;
  const std::array<int, 3> fds = process.terminal() ? oci::kInheritStdio : stdio.child.fds();
  BERTH_ASSIGN_OR_RETURN(pid_t pid, oci::LaunchExec(*spec_, init_->pid(), *process.exec_spec(),
                                                    *cgroup_, console, fds, {id_, bundle_}));
  BERTH_ASSIGN_OR_RETURN(ProcessStdio mine, FinishStdio(stdio));
  BERTH_RETURN_IF_ERROR(process.AdoptStdio(std::move(mine)));
  process.Started(pid);
  process.exec_spec().reset();
  v1::ShimEvent event;
  event.mutable_exec_started()->set_id(id_);
  event.mutable_exec_started()->set_exec_id(process.exec_id());
  event.mutable_exec_started()->set_pid(static_cast<uint32_t>(pid));
  Publish(event);
  return pid;
}

absl::StatusOr<v1::StateResponse> ShimTask::State(const v1::StateRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  BERTH_ASSIGN_OR_RETURN(TaskProcess * process, Find(request.exec_id()));
  v1::StateResponse state;
  state.set_id(id_);
  state.set_bundle(bundle_);
  process->FillState(state);
  return state;
}

absl::StatusOr<google::protobuf::Empty> ShimTask::Kill(const v1::KillRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  if (request.signal() == 0 || request.signal() >= static_cast<uint32_t>(NSIG)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid signal ", request.signal()));
  }
  const int signal = static_cast<int>(request.signal());
  if (request.all()) {
    BERTH_RETURN_IF_ERROR(RequireInit().status());
    BERTH_RETURN_IF_ERROR(cgroup_->Kill(signal));
    return google::protobuf::Empty();
  }
  BERTH_ASSIGN_OR_RETURN(TaskProcess * process, Find(request.exec_id()));
  if (process->pid() == 0 || process->exited()) {
    return absl::NotFoundError("the process has already finished");
  }
  if (::kill(process->pid(), signal) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("kill ", process->pid()));
  }
  return google::protobuf::Empty();
}

absl::StatusOr<v1::DeleteResponse> ShimTask::Delete(const v1::DeleteRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  BERTH_ASSIGN_OR_RETURN(TaskProcess * process, Find(request.exec_id()));
  v1::DeleteResponse response;
  if (!request.exec_id().empty()) {
    if (process->status() == v1::TASK_STATUS_RUNNING) {
      return absl::FailedPreconditionError("cannot delete a running exec process");
    }
    response.set_pid(static_cast<uint32_t>(process->pid()));
    response.set_exit_status(process->exit_status());
    ToProtoTime(process->exited_at(), response.mutable_exited_at());
    execs_.erase(request.exec_id());
    return response;
  }
  if (process->status() == v1::TASK_STATUS_RUNNING || process->status() == v1::TASK_STATUS_PAUSED) {
    return absl::FailedPreconditionError("cannot delete a running container; kill it first");
  }
  if (!process->exited()) {
    // Created, never started: the init still waits on the fifo.
    ::kill(process->pid(), SIGKILL);
    int status = 0;
    while (::waitpid(process->pid(), &status, 0) < 0 && errno == EINTR) {
    }
    OnInitExit(status);
  }
  cgroup_->Kill(SIGKILL).IgnoreError();  // exec'd processes left without a pid namespace
  BERTH_RETURN_IF_ERROR(cgroup_->Destroy());
  BERTH_RETURN_IF_ERROR(rootfs_.Unmount());
  if (log_.has_value()) log_->Flush().IgnoreError();
  response.set_pid(static_cast<uint32_t>(process->pid()));
  response.set_exit_status(process->exit_status());
  ToProtoTime(process->exited_at(), response.mutable_exited_at());
  return response;
}

absl::StatusOr<google::protobuf::Empty> ShimTask::Pause(const v1::PauseRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  BERTH_ASSIGN_OR_RETURN(TaskProcess * init, RequireInit());
  if (init->status() != v1::TASK_STATUS_RUNNING) {
    return absl::FailedPreconditionError("the container is not running");
  }
  init->set_status(v1::TASK_STATUS_PAUSING);
  absl::Status frozen = cgroup_->Freeze();
  init->set_status(frozen.ok() ? v1::TASK_STATUS_PAUSED : v1::TASK_STATUS_RUNNING);
  BERTH_RETURN_IF_ERROR(frozen);
  return google::protobuf::Empty();
}

absl::StatusOr<google::protobuf::Empty> ShimTask::Resume(const v1::ResumeRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  BERTH_ASSIGN_OR_RETURN(TaskProcess * init, RequireInit());
  if (init->status() != v1::TASK_STATUS_PAUSED) {
    return absl::FailedPreconditionError("the container is not paused");
  }
  BERTH_RETURN_IF_ERROR(cgroup_->Thaw());
  init->set_status(v1::TASK_STATUS_RUNNING);
  return google::protobuf::Empty();
}

absl::StatusOr<google::protobuf::Empty> ShimTask::Exec(const v1::ExecProcessRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  BERTH_ASSIGN_OR_RETURN(TaskProcess * init, RequireInit());
  if (init->status() != v1::TASK_STATUS_RUNNING) {
    return absl::FailedPreconditionError("the container is not running");
  }
  if (request.exec_id().empty()) return absl::InvalidArgumentError("exec_id is required");
  if (execs_.contains(request.exec_id())) {
    return absl::AlreadyExistsError(absl::StrCat("exec \"", request.exec_id(), "\" exists"));
  }
  BERTH_ASSIGN_OR_RETURN(oci::Process process, oci::ParseProcess(request.process()));
  process.terminal = request.terminal();
  auto exec =
      std::make_unique<TaskProcess>(loop_, request.exec_id(), request.terminal(), request.stdin());
  exec->exec_spec() = std::move(process);
  execs_[request.exec_id()] = std::move(exec);
  return google::protobuf::Empty();
}

absl::StatusOr<google::protobuf::Empty> ShimTask::ResizePty(const v1::ResizePtyRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  BERTH_ASSIGN_OR_RETURN(TaskProcess * process, Find(request.exec_id()));
  BERTH_RETURN_IF_ERROR(process->Resize(request.width(), request.height()));
  return google::protobuf::Empty();
}

absl::StatusOr<google::protobuf::Empty> ShimTask::CloseIO(const v1::CloseIORequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  BERTH_ASSIGN_OR_RETURN(TaskProcess * process, Find(request.exec_id()));
  if (request.stdin()) BERTH_RETURN_IF_ERROR(process->CloseStdin());
  return google::protobuf::Empty();
}

absl::StatusOr<v1::StatsResponse> ShimTask::Stats(const v1::StatsRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  BERTH_RETURN_IF_ERROR(RequireInit().status());
  BERTH_ASSIGN_OR_RETURN(oci::CgroupStats stats, cgroup_->Stats());
  v1::StatsResponse response;
  types::v1::ContainerMetrics* metrics = response.mutable_metrics();
  metrics->set_container_id(id_);
  ToProtoTime(absl::Now(), metrics->mutable_read_at());
  ToProto(stats, *metrics);
  // The interfaces of the init's network namespace, unless that is the shim's own (the
  // host's, with --network host).
  const std::string ns = absl::StrCat("/proc/", init_->pid(), "/ns/net");
  struct stat theirs {
  }, ours{};
  if (::stat(ns.c_str(), &theirs) == 0 && ::stat("/proc/self/ns/net", &ours) == 0 &&
      theirs.st_ino != ours.st_ino) {
    if (absl::StatusOr<std::string> dev =
            ReadFileText(absl::StrCat("/proc/", init_->pid(), "/net/dev"));
        dev.ok()) {
      for (types::v1::NetworkInterfaceStats& interface : ParseNetDev(*dev)) {
        *metrics->add_networks() = std::move(interface);
      }
    }
  }
  return response;
}

absl::StatusOr<v1::PidsResponse> ShimTask::Pids(const v1::PidsRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  BERTH_RETURN_IF_ERROR(RequireInit().status());
  v1::PidsResponse response;
  for (pid_t pid : cgroup_->Pids()) {
    v1::ProcessInfo* info = response.add_processes();
    info->set_pid(static_cast<uint32_t>(pid));
    for (const auto& [exec_id, exec] : execs_) {
      if (exec->pid() == pid) info->set_exec_id(exec_id);
    }
  }
  return response;
}

absl::StatusOr<google::protobuf::Empty> ShimTask::Update(const v1::UpdateTaskRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  BERTH_RETURN_IF_ERROR(RequireInit().status());
  // Checked as the resources of a minimal spec, by the same parser as config.json.
  BERTH_ASSIGN_OR_RETURN(
      oci::Spec limits,
      oci::ParseSpec(absl::StrCat(R"({"ociVersion":"1.2.0","root":{"path":"rootfs"},)",
                                  R"("process":{"args":["true"],"cwd":"/"},"linux":{"resources":)",
                                  request.resources(), "}}")));
  BERTH_RETURN_IF_ERROR(cgroup_->Apply(oci::CgroupResourcesFromSpec(limits.linux_config)));
  return google::protobuf::Empty();
}

absl::StatusOr<google::protobuf::Empty> ShimTask::Shutdown(const v1::ShutdownRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckId(request.id()));
  const bool running = init_ != nullptr && !init_->exited() && init_->pid() != 0;
  if (running && !request.now()) {
    return absl::FailedPreconditionError("the container still runs; delete it first");
  }
  if (running) {
    cgroup_->Kill(SIGKILL).IgnoreError();
    ::kill(init_->pid(), SIGKILL);
  }
  done_ = true;
  return google::protobuf::Empty();
}

void ShimTask::Wait(const v1::WaitRequest& request, Reply reply) {
  if (absl::Status id = CheckId(request.id()); !id.ok()) return reply.Error(id);
  absl::StatusOr<TaskProcess*> process = Find(request.exec_id());
  if (!process.ok()) return reply.Error(process.status());
  (*process)->AddWaiter(std::move(reply));
}

void ShimTask::Subscribe(const v1::SubscribeRequest&, Reply reply) {
  subscribers_.push_back(std::move(reply));
}

void ShimTask::Attach(const v1::AttachIORequest& request, Reply reply) {
  if (absl::Status id = CheckId(request.id()); !id.ok()) return reply.Error(id);
  absl::StatusOr<TaskProcess*> process = Find(request.exec_id());
  if (!process.ok()) return reply.Error(process.status());
  (*process)->Attach(std::move(reply), request.stdout(), request.stderr());
}

void ShimTask::WriteStdin(const v1::WriteStdinRequest& request, Reply reply) {
  if (absl::Status id = CheckId(request.id()); !id.ok()) return reply.Error(id);
  absl::StatusOr<TaskProcess*> process = Find(request.exec_id());
  if (!process.ok()) return reply.Error(process.status());
  (*process)->WriteStdin(request.data(), std::move(reply));
}

void ShimTask::ReapChildren() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (init_ != nullptr && pid == init_->pid() && !init_->exited()) {
      OnInitExit(status);
      continue;
    }
    for (auto& [exec_id, exec] : execs_) {
      if (exec->pid() != pid || exec->exited()) continue;
      exec->Exited(status, false);
      v1::ShimEvent event;
      v1::TaskExit* exit = event.mutable_exit();
      exit->set_id(id_);
      exit->set_exec_id(exec_id);
      exit->set_pid(static_cast<uint32_t>(pid));
      exit->set_exit_status(exec->exit_status());
      ToProtoTime(exec->exited_at(), exit->mutable_exited_at());
      Publish(event);
    }
  }
}

void ShimTask::OnInitExit(int wait_status) {
  // An OOM kill's event may not have been read yet: ask the cgroup itself.
  auto kills = cgroup_->OomKillCount();
  const bool oom = oom_seen_ || (kills.ok() && *kills > oom_kills_);
  init_->Exited(wait_status, oom);
  if (log_.has_value()) log_->Flush().IgnoreError();
  RecordedExit recorded{init_->exit_status(), init_->exited_at(), oom};
  if (absl::Status s = RecordExit(state_dir_, recorded); !s.ok()) {
    std::fprintf(stderr, "berth-shim %s: %s\n", id_.c_str(), std::string(s.message()).c_str());
  }
  // Without a pid namespace of its own, the container's other processes outlive its
  // init; Docker's containers end with their init.
  cgroup_->Kill(SIGKILL).IgnoreError();
  v1::ShimEvent event;
  v1::TaskExit* exit = event.mutable_exit();
  exit->set_id(id_);
  exit->set_pid(static_cast<uint32_t>(init_->pid()));
  exit->set_exit_status(init_->exit_status());
  ToProtoTime(init_->exited_at(), exit->mutable_exited_at());
  exit->set_oom_killed(oom);
  Publish(event);
}

void ShimTask::Publish(v1::ShimEvent& event) {
  ToProtoTime(absl::Now(), event.mutable_time());
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    if (it->Stream(event)) {
      ++it;
    } else {
      it = subscribers_.erase(it);
    }
  }
}

void ShimTask::Log(v1::IOStream stream, absl::string_view bytes) {
  if (!log_.has_value()) return;
  absl::Status written = log_->Write(
      stream == v1::IO_STREAM_STDERR ? logfile::Stream::kStderr : logfile::Stream::kStdout, bytes,
      absl::Now());
  if (!written.ok()) {
    std::fprintf(stderr, "berth-shim %s: %s\n", id_.c_str(),
                 std::string(written.message()).c_str());
  }
}

}  // namespace berth::shim
