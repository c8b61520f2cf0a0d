// exec'd processes and attaching to a container's or an exec's stdio.
#include <fcntl.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "services/runtime/core/container_names.h"
#include "services/runtime/core/user_lookup.h"
#include "services/runtime/supervisor/container_slot.h"
#include "services/runtime/supervisor/container_supervisor.h"
#include "shim/oci/spec.h"

namespace berth::runtime {
namespace {

constexpr auto kAttachWait = std::chrono::seconds(5);

// `overrides` over `base`, by key ("KEY=value"; a bare "KEY" unsets it), base order kept.
std::vector<std::string> MergeEnv(
    std::vector<std::string> base,
    const google::protobuf::RepeatedPtrField<std::string>& overrides) {
  for (const std::string& entry : overrides) {
    const std::string key = entry.substr(0, entry.find('='));
    auto same = [&](const std::string& e) { return e.substr(0, e.find('=')) == key; };
    base.erase(std::remove_if(base.begin(), base.end(), same), base.end());
    if (entry.find('=') != std::string::npos) base.push_back(entry);
  }
  return base;
}

}  // namespace

absl::StatusOr<std::shared_ptr<ContainerSupervisor::ExecEntry>> ContainerSupervisor::FindExec(
    const std::string& ns, const std::string& exec_id) {
  std::lock_guard lock(mu_);
  auto it = execs_.find(exec_id);
  if (it == execs_.end() || it->second->ns != ns) {
    return absl::NotFoundError(absl::StrCat("No such exec instance: ", exec_id));
  }
  return it->second;
}

absl::StatusOr<std::string> ContainerSupervisor::CreateExec(const std::string& ns,
                                                            const v1::CreateExecRequest& request) {
  if (request.args().empty()) return absl::InvalidArgumentError("No exec command specified");
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, request.id()));
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  auto entry = std::make_shared<ExecEntry>();
  entry->id = NewContainerId();
  entry->ns = ns;
  entry->container_id = record.id;
  entry->request = request;
  {
    std::lock_guard lock(slot->mu);
    if (!slot->task_ready) {
      return absl::FailedPreconditionError(
          absl::StrCat("Container ", record.id, " is not running"));
    }
    if (record.state.status == ContainerStatus::kPaused) {
      return absl::FailedPreconditionError(
          absl::StrCat("Container ", record.id, " is paused, unpause the container before exec"));
    }
    slot->execs[entry->id] = entry;
  }
  {
    std::lock_guard lock(mu_);
    execs_[entry->id] = entry;
  }
  Publish(ns, record, absl::StrCat("exec_create: ", absl::StrJoin(request.args(), " ")),
          {{"execID", entry->id}});
  return entry->id;
}

absl::StatusOr<int> ContainerSupervisor::StartExec(const std::string& ns,
                                                   const std::string& exec_id) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<ExecEntry> entry, FindExec(ns, exec_id));
  std::shared_ptr<Slot> slot = SlotOf(entry->container_id);
  std::shared_ptr<shim::ShimClient> shim;
  {
    std::lock_guard lock(slot->mu);
    if (entry->created) {
      return absl::FailedPreconditionError(
          absl::StrCat("Error: Exec command ", exec_id, " has already run"));
    }
    if (!slot->task_ready) {
      return absl::FailedPreconditionError(
          absl::StrCat("Container ", entry->container_id, " is not running"));
    }
    shim = slot->shim;
  }
  const v1::CreateExecRequest& request = entry->request;
  const std::string bundle = TaskDir(entry->container_id);
  BERTH_ASSIGN_OR_RETURN(oci::Spec spec, oci::LoadSpec(bundle));
  oci::Process process = spec.process.value_or(oci::Process{});
  process.args.assign(request.args().begin(), request.args().end());
  process.env = MergeEnv(process.env, request.env());
  process.terminal = request.tty();
  if (request.tty() && request.has_console_size()) {
    process.console_size =
        oci::ConsoleSize{request.console_size().height(), request.console_size().width()};
  } else {
    process.console_size.reset();
  }
  if (!request.working_dir().empty()) process.cwd = request.working_dir();
  if (!request.user().empty()) {
    UniqueFd rootfs(::open((bundle + "/rootfs").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootfs) return absl::ErrnoToStatus(errno, "opening the container's root");
    BERTH_ASSIGN_OR_RETURN(process.user, ResolveUser(rootfs.get(), request.user(), {}));
  }
  shim::v1::ExecProcessRequest exec;
  exec.set_id(entry->container_id);
  exec.set_exec_id(exec_id);
  exec.set_terminal(request.tty());
  exec.set_stdin(request.open_stdin());
  exec.set_process(oci::SerializeProcess(process));
  BERTH_RETURN_IF_ERROR(shim->Call("Exec", exec, nullptr));
  {
    std::unique_lock lock(slot->mu);
    entry->created = true;
    slot->changed.notify_all();
    slot->changed.wait_for(lock, kAttachWait, [&] { return entry->pending_attach == 0; });
  }
  shim::v1::StartRequest start;
  start.set_id(entry->container_id);
  start.set_exec_id(exec_id);
  BERTH_ASSIGN_OR_RETURN(shim::v1::StartResponse started,
                         shim->Call<shim::v1::StartResponse>("Start", start));
  {
    std::lock_guard lock(slot->mu);
    entry->pid = static_cast<int>(started.pid());
    if (!entry->exited) entry->running = true;
  }
  if (absl::StatusOr<ContainerRecord> record = store_->Get(ns, entry->container_id); record.ok()) {
    Publish(ns, *record, absl::StrCat("exec_start: ", absl::StrJoin(request.args(), " ")),
            {{"execID", exec_id}});
  }
  return entry->pid;
}

absl::StatusOr<v1::ExecInspect> ContainerSupervisor::InspectExec(const std::string& ns,
                                                                 const std::string& exec_id) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<ExecEntry> entry, FindExec(ns, exec_id));
  std::shared_ptr<Slot> slot = SlotOf(entry->container_id);
  std::lock_guard lock(slot->mu);
  v1::ExecInspect inspect;
  inspect.set_exec_id(entry->id);
  inspect.set_container_id(entry->container_id);
  inspect.set_running(entry->running);
  if (entry->exited) inspect.set_exit_code(entry->exit.exit_code);
  inspect.set_pid(entry->pid);
  inspect.mutable_args()->CopyFrom(entry->request.args());
  inspect.set_tty(entry->request.tty());
  inspect.set_open_stdin(entry->request.open_stdin());
  inspect.set_detach(entry->request.detach());
  inspect.set_user(entry->request.user());
  inspect.set_working_dir(entry->request.working_dir());
  inspect.set_privileged(entry->request.privileged());
  return inspect;
}

absl::StatusOr<ExitInfo> ContainerSupervisor::WaitExec(const std::string& ns,
                                                       const std::string& exec_id,
                                                       const std::function<bool()>& cancelled) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<ExecEntry> entry, FindExec(ns, exec_id));
  std::shared_ptr<Slot> slot = SlotOf(entry->container_id);
  std::unique_lock lock(slot->mu);
  if (!slot->WaitFor(
          lock, [&] { return entry->exited; }, cancelled)) {
    return absl::CancelledError("waiting for the exec was cancelled");
  }
  return entry->exit;
}

absl::StatusOr<std::string> ContainerSupervisor::ResolveId(const std::string& ns,
                                                           const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, ref));
  return record.id;
}

absl::Status ContainerSupervisor::Attach(
    const std::string& ns, const std::string& ref, const std::string& exec_id,
    const std::function<void()>& registered, const std::function<bool()>& cancelled,
    const std::function<absl::Status(const AttachTarget&)>& connect) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, ref));
  const v1::ContainerSpec spec = SpecOf(record);
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  AttachTarget target;
  target.container_id = record.id;
  target.exec_id = exec_id;
  std::unique_lock lock(slot->mu);
  int* pending = &slot->pending_attach;
  std::shared_ptr<ExecEntry> entry;  // kept alive while `pending` points into it
  std::function<bool()> ready;
  if (exec_id.empty()) {
    if (!slot->task_ready && record.state.status != ContainerStatus::kCreated &&
        record.state.status != ContainerStatus::kRestarting) {
      return absl::FailedPreconditionError(
          "You cannot attach to a stopped container, start it first");
    }
    target.tty = spec.tty();
    target.open_stdin = spec.open_stdin();
    target.stdin_once = spec.stdin_once();
    ready = [&] { return slot->task_ready; };
  } else {
    auto it = slot->execs.find(exec_id);
    if (it == slot->execs.end()) {
      return absl::NotFoundError(absl::StrCat("No such exec instance: ", exec_id));
    }
    entry = it->second;
    if (entry->request.detach()) {
      return absl::FailedPreconditionError("cannot attach to a detached exec");
    }
    target.tty = entry->request.tty();
    target.open_stdin = entry->request.open_stdin();
    target.stdin_once = true;
    pending = &entry->pending_attach;
    ready = [entry] { return entry->created; };
  }
  ++*pending;
  const int failures = slot->start_failures;
  lock.unlock();
  registered();
  lock.lock();
  // Until the process exists (Start or StartExec comes from another call), its start
  // fails, the container goes, or the client does.
  absl::Status waited;
  const absl::Time deadline = absl::Now() + absl::Minutes(10);
  while (!ready()) {
    if (slot->removed) {
      waited = absl::NotFoundError(absl::StrCat("No such container: ", record.id));
    } else if (slot->start_failures != failures) {
      waited = absl::FailedPreconditionError("the container failed to start");
    } else if (cancelled()) {
      waited = absl::CancelledError("the client went away");
    } else if (absl::Now() > deadline) {
      waited = absl::DeadlineExceededError("the container was not started in time to attach");
    }
    if (!waited.ok()) break;
    slot->changed.wait_for(lock, std::chrono::milliseconds(200));
  }
  target.shim = slot->shim;
  lock.unlock();
  absl::Status connected =
      waited.ok() && target.shim != nullptr
          ? connect(target)
          : (waited.ok() ? absl::FailedPreconditionError("the container is not running") : waited);
  lock.lock();
  --*pending;
  slot->changed.notify_all();
  return connected;
}

}  // namespace berth::runtime
