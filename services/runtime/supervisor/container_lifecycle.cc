// Start, stop, kill, pause, resume, restart, wait, delete and rename; the task's shim;
// what happens when a container's init exits.
#include <signal.h>

#include <filesystem>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/signal_names.h"
#include "common/start_failure.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "services/runtime/core/restart_rules.h"
#include "services/runtime/core/spec_resources.h"
#include "services/runtime/supervisor/container_slot.h"
#include "services/runtime/supervisor/container_supervisor.h"
#include "services/runtime/supervisor/spec_options.h"
#include "shim/client/shim_launch.h"
#include "shim/oci/rootfs_mounts.h"
#include "shim/protocol/proto_time.h"

namespace berth::runtime {
namespace {

int64_t ParseSize(const std::string& text) {
  if (text.empty()) return 0;
  int64_t number = 0;
  size_t used = 0;
  try {
    number = std::stoll(text, &used);
  } catch (...) {
    return 0;
  }
  const std::string unit = text.substr(used);
  const int64_t scale = unit == "k" || unit == "K" || unit == "kb"   ? 1024
                        : unit == "m" || unit == "M" || unit == "mb" ? 1024 * 1024
                        : unit == "g" || unit == "G" || unit == "gb" ? 1024 * 1024 * 1024
                                                                     : 1;
  return number * scale;
}

}  // namespace

absl::StatusOr<int> ContainerSupervisor::Start(const std::string& ns, const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, ref));
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  std::lock_guard op(slot->op_mu);
  BERTH_ASSIGN_OR_RETURN(record, store_->Get(ns, record.id));
  return StartLocked(ns, std::move(record), *slot);
}

absl::StatusOr<int> ContainerSupervisor::StartLocked(const std::string& ns, ContainerRecord record,
                                                     Slot& slot) {
  switch (record.state.status) {
    case ContainerStatus::kRunning:
      return record.state.pid;  // Docker: already started is not an error
    case ContainerStatus::kPaused:
      return absl::FailedPreconditionError("cannot start a paused container, try unpause instead");
    case ContainerStatus::kRemoving:
    case ContainerStatus::kDead:
      return absl::FailedPreconditionError(
          absl::StrCat("container ", record.id, " is marked for removal and cannot be started"));
    default:
      break;
  }
  const absl::Time start_began = absl::Now();
  TearDownTask(record.id, slot);  // what is left of an earlier run
  WaitForEndingShims(slot);       // the new shim's socket takes the old one's path
  absl::Status created = CreateTask(ns, record, slot);
  absl::StatusOr<shim::v1::StartResponse> started;
  if (created.ok()) {
    std::shared_ptr<shim::ShimClient> shim;
    {
      // Attaches registered before Start see every byte: let them connect first.
      std::unique_lock lock(slot.mu);
      slot.changed.wait_for(lock, std::chrono::seconds(5),
                            [&] { return slot.pending_attach == 0; });
      shim = slot.shim;
    }
    shim::v1::StartRequest request;
    request.set_id(record.id);
    started = shim->Call<shim::v1::StartResponse>("Start", request);
  }
  const absl::Status status = created.ok() ? started.status() : created;
  if (!status.ok()) {
    TearDownTask(record.id, slot);
    {
      std::lock_guard lock(slot.mu);
      slot.start_failures++;
      slot.changed.notify_all();
    }
    record.state.error = std::string(status.message());
    record.state.exit_code = StartFailureExitCode(status.message());
    store_->UpdateState(ns, record.id, record.state).IgnoreError();
    // `run --rm` leaves nothing behind, also when its command could not start.
    if (SpecOf(record).auto_remove()) {
      DeleteLocked(ns, record, slot, /*force=*/true, /*remove_volumes=*/true).IgnoreError();
    }
    return status;
  }
  ContainerState state = record.state;
  state.status = ContainerStatus::kRunning;
  state.pid = static_cast<int>(started->pid());
  state.started_at = absl::Now();
  state.finished_at = absl::InfinitePast();
  state.error.clear();
  state.exit_code = 0;
  state.oom_killed = false;
  state.stopped_by_user = false;
  {
    // A process as short as `true` may have exited, and OnInitExit recorded it, before
    // this line: "running" must not overwrite that (a --rm container would then never be
    // removed). Under slot.mu, OnInitExit has either not begun (it records the exit after
    // this write) or has taken the task (only the start time is added here).
    std::lock_guard lock(slot.mu);
    slot.started_at = state.started_at;
    if (slot.task_ready) {
      BERTH_ASSIGN_OR_RETURN(record, store_->UpdateState(ns, record.id, state));
    } else {
      BERTH_ASSIGN_OR_RETURN(record, store_->Update(ns, record.id, [&](ContainerRecord& r) {
        r.state.started_at = state.started_at;
        r.state.error.clear();
        return absl::OkStatus();
      }));
    }
  }
  Publish(ns, record, "start");
  {
    std::shared_ptr<shim::ShimClient> shim;
    {
      std::lock_guard lock(slot.mu);
      shim = slot.shim;
    }
    if (shim != nullptr) StartHealthCheck(ns, record, shim, /*resume=*/false);
  }
  if (options_.started) options_.started(absl::Now() - start_began);
  return state.pid;
}

absl::Status ContainerSupervisor::CreateTask(const std::string& ns, const ContainerRecord& record,
                                             Slot& slot) {
  const v1::ContainerSpec spec = SpecOf(record);
  BERTH_ASSIGN_OR_RETURN(std::vector<RootfsMount> mounts,
                         images_->RootfsMounts(ns, record.snapshotter, record.snapshot_key));
  const std::string task_dir = TaskDir(record.id);
  // Leftovers of a shim that died: its socket would shadow the new one.
  for (const char* file : {"/shim.sock", "/init.exit", "/exec.fifo", "/shim.pid"}) {
    std::filesystem::remove(task_dir + file);
  }
  BERTH_RETURN_IF_ERROR(AttachNetwork(ns, record, spec));
  if (absl::Status launched = shim::LaunchShim(options_.shim_binary, record.id, task_dir,
                                               options_.state_dir + "/seccomp");
      !launched.ok()) {
    DetachNetwork(ns, record.id);
    return launched;
  }
  auto shim_client = std::make_shared<shim::ShimClient>(shim::ShimSocketPath(task_dir));
  shim::v1::CreateTaskRequest request;
  request.set_id(record.id);
  request.set_bundle(task_dir);
  for (const RootfsMount& mount : mounts) {
    types::v1::Mount* out = request.add_rootfs();
    out->set_type(mount.type);
    out->set_source(mount.source);
    for (const std::string& option : mount.options) out->add_options(option);
  }
  request.set_terminal(spec.tty());
  request.set_stdin(spec.open_stdin());
  request.set_stdin_once(spec.stdin_once());
  shim::v1::ShimLogConfig* log = request.mutable_log();
  const std::string driver =
      spec.log_config().driver().empty() ? options_.default_log_driver : spec.log_config().driver();
  log->set_driver(driver);
  log->set_path(LogPath(record.id));
  auto option = [&](const std::string& key) -> std::string {
    auto it = spec.log_config().options().find(key);
    if (it != spec.log_config().options().end()) return it->second;
    auto fallback = options_.default_log_opts.find(key);
    return fallback == options_.default_log_opts.end() ? "" : fallback->second;
  };
  log->set_max_size_bytes(ParseSize(option("max-size")));
  const std::string max_file = option("max-file");
  log->set_max_files(max_file.empty() ? 1 : std::max(1, std::atoi(max_file.c_str())));
  absl::Status created = shim_client->Call("Create", request, nullptr);
  if (created.ok()) created = monitor_->Watch(record.id, *shim_client);
  if (!created.ok()) {
    shim::v1::ShutdownRequest shutdown;
    shutdown.set_id(record.id);
    shutdown.set_now(true);
    shim_client->Call("Shutdown", shutdown, nullptr).IgnoreError();
    DetachNetwork(ns, record.id);
    return created;
  }
  std::lock_guard lock(slot.mu);
  slot.shim = shim_client;
  slot.task_ready = true;
  slot.oom_published = false;
  slot.task_generation++;
  slot.changed.notify_all();
  return absl::OkStatus();
}

void ContainerSupervisor::TearDownTask(const std::string& id, Slot& slot) {
  std::shared_ptr<shim::ShimClient> shim;
  {
    std::lock_guard lock(slot.mu);
    shim = std::move(slot.shim);
    slot.shim = nullptr;
    slot.task_ready = false;
    slot.changed.notify_all();
  }
  EndShim(id, std::move(shim));
}

void ContainerSupervisor::WaitForEndingShims(Slot& slot) {
  std::unique_lock lock(slot.mu);
  slot.changed.wait_for(lock, std::chrono::seconds(70), [&] { return slot.ending_shims == 0; });
}

void ContainerSupervisor::EndShim(const std::string& id, std::shared_ptr<shim::ShimClient> shim) {
  if (shim == nullptr) return;
  shim::v1::DeleteRequest remove;
  remove.set_id(id);
  absl::Status deleted = shim->Call("Delete", remove, nullptr);
  shim::v1::ShutdownRequest shutdown;
  shutdown.set_id(id);
  shutdown.set_now(!deleted.ok());
  shim->Call("Shutdown", shutdown, nullptr).IgnoreError();
  // A shim that could not delete its task (it died): what it owned is cleaned up here.
  if (!deleted.ok()) oci::UnmountAll(TaskDir(id) + "/rootfs").IgnoreError();
}

void ContainerSupervisor::OnShimEvent(const std::string& id, const shim::v1::ShimEvent& event) {
  if (event.has_exit()) {
    const shim::v1::TaskExit& exit = event.exit();
    ExitInfo info{static_cast<int>(exit.exit_status()), shim::FromProtoTime(exit.exited_at()),
                  exit.oom_killed()};
    if (!exit.exec_id().empty()) {
      std::shared_ptr<Slot> slot = SlotOf(id);
      std::lock_guard lock(slot->mu);
      auto it = slot->execs.find(exit.exec_id());
      if (it != slot->execs.end()) {
        it->second->running = false;
        it->second->exited = true;
        it->second->exit = info;
        slot->changed.notify_all();
      }
      absl::StatusOr<std::string> ns = NamespaceOf(id);
      absl::StatusOr<ContainerRecord> record =
          ns.ok() ? store_->Get(*ns, id) : absl::StatusOr<ContainerRecord>(ns.status());
      if (record.ok()) {
        Publish(*ns, *record, "exec_die",
                {{"execID", exit.exec_id()}, {"exitCode", std::to_string(info.exit_code)}});
      }
      return;
    }
    OnInitExit(id, info);
  } else if (event.has_oom()) {
    absl::StatusOr<std::string> ns = NamespaceOf(id);
    if (!ns.ok()) return;
    std::shared_ptr<Slot> slot = SlotOf(id);
    {
      std::lock_guard lock(slot->mu);
      if (slot->oom_published) return;
      slot->oom_published = true;
    }
    absl::StatusOr<ContainerRecord> record = store_->Get(*ns, id);
    if (record.ok()) Publish(*ns, *record, "oom");
  }
}

void ContainerSupervisor::OnShimGone(const std::string& id) {
  // The stream ended without an exit event: the shim died with its container unreported.
  std::shared_ptr<Slot> slot = SlotOf(id);
  {
    std::lock_guard lock(slot->mu);
    if (!slot->task_ready) return;  // torn down on purpose
  }
  EndOrphanedTask(id);
  OnInitExit(id, ExitInfo{255, absl::Now(), false});
}

void ContainerSupervisor::OnInitExit(const std::string& id, const ExitInfo& exit) {
  absl::StatusOr<std::string> ns = NamespaceOf(id);
  if (!ns.ok()) return;
  std::shared_ptr<Slot> slot = SlotOf(id);
  absl::Duration ran = absl::ZeroDuration();
  std::shared_ptr<shim::ShimClient> exited_shim;
  bool report_oom = false;
  {
    std::lock_guard lock(slot->mu);
    if (!slot->task_ready) return;  // already settled
    // The OOM kill may be known only from the exit (its event can come after, or not at
    // all once the cgroup is gone): Docker's `oom` precedes `die` either way.
    report_oom = exit.oom_killed && !slot->oom_published;
    if (report_oom) slot->oom_published = true;
    slot->task_ready = false;
    exited_shim = std::move(slot->shim);
    slot->shim = nullptr;
    if (exited_shim != nullptr) slot->ending_shims++;
    slot->last_exit = exit;
    if (slot->started_at != absl::InfinitePast()) ran = exit.exited_at - slot->started_at;
    for (auto& [exec_id, entry] : slot->execs) {
      if (entry->running) {
        entry->running = false;
        entry->exited = true;
        entry->exit = ExitInfo{137, exit.exited_at, false};
      }
    }
  }
  health_->Stop(id);
  absl::StatusOr<ContainerRecord> record = store_->Update(*ns, id, [&](ContainerRecord& r) {
    r.state.status = ContainerStatus::kExited;
    r.state.pid = 0;
    r.state.exit_code = exit.exit_code;
    r.state.oom_killed = exit.oom_killed;
    r.state.finished_at = exit.exited_at;
    return absl::OkStatus();
  });
  // Published before anyone waiting learns of the exit: `run` returning has seen `die`.
  if (record.ok()) {
    if (report_oom) Publish(*ns, *record, "oom");
    Publish(*ns, *record, "die", {{"exitCode", std::to_string(record->state.exit_code)}});
  }
  {
    // Waiters (stop, restart, wait, attach) wake once the record says exited: a restart
    // must not read "running" from it and skip its start.
    std::lock_guard lock(slot->mu);
    slot->exit_generation++;
    slot->changed.notify_all();
  }
  // The task goes on a thread of its own: tearing down calls the shim, and this may run
  // on the monitor's thread, which must keep serving the other shims.
  std::thread([this, ns = *ns, id, slot, record, ran, exited_shim]() mutable {
    std::unique_lock op(slot->op_mu, std::try_to_lock);
    if (exited_shim != nullptr) {
      EndShim(id, std::move(exited_shim));
      std::lock_guard lock(slot->mu);
      slot->ending_shims--;
      slot->changed.notify_all();
    }
    // Docker frees a stopped container's addresses. An operation under way (stop,
    // restart, rm) detaches or re-attaches itself.
    if (op.owns_lock()) DetachNetwork(ns, id);
    if (!record.ok()) return;
    const v1::ContainerSpec spec = SpecOf(*record);
    if (spec.auto_remove()) {
      // After any stop or restart under way: removed unless it runs again.
      if (!op.owns_lock()) op.lock();
      absl::StatusOr<ContainerRecord> now = store_->Get(ns, id);
      if (now.ok() && now->state.status == ContainerStatus::kExited) {
        DeleteLocked(ns, *now, *slot, /*force=*/true, /*remove_volumes=*/true).IgnoreError();
      }
      return;
    }
    if (op.owns_lock() &&
        ShouldRestart(record->restart_policy, record->state, RestartMoment::kExited)) {
      int restarts = 0;
      {
        std::lock_guard lock(slot->mu);
        slot->consecutive_restarts = ran >= absl::Seconds(10) ? 0 : slot->consecutive_restarts + 1;
        restarts = slot->consecutive_restarts;
      }
      ScheduleRestart(ns, id, RestartDelay(restarts, ran));
    }
  }).detach();
}

void ContainerSupervisor::ScheduleRestart(const std::string& ns, const std::string& id,
                                          absl::Duration delay) {
  store_
      ->Update(ns, id,
               [](ContainerRecord& r) {
                 r.state.status = ContainerStatus::kRestarting;
                 return absl::OkStatus();
               })
      .IgnoreError();
  std::thread([this, ns, id, delay] {
    absl::SleepFor(delay);
    {
      std::lock_guard lock(mu_);
      if (shutting_down_) return;
    }
    std::shared_ptr<Slot> slot = SlotOf(id);
    std::lock_guard op(slot->op_mu);
    absl::StatusOr<ContainerRecord> record = store_->Get(ns, id);
    if (!record.ok() || record->state.status != ContainerStatus::kRestarting) return;
    record->state.restart_count++;
    record->state.status = ContainerStatus::kExited;
    absl::StatusOr<ContainerRecord> updated = store_->UpdateState(ns, id, record->state);
    if (!updated.ok()) return;
    Publish(ns, *updated, "restart");
    StartLocked(ns, *updated, *slot).IgnoreError();
  }).detach();
}

absl::Status ContainerSupervisor::Stop(const std::string& ns, const std::string& ref,
                                       std::optional<absl::Duration> timeout,
                                       const std::string& signal) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, ref));
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  std::lock_guard op(slot->op_mu);
  BERTH_ASSIGN_OR_RETURN(record, store_->Get(ns, record.id));
  BERTH_RETURN_IF_ERROR(StopLocked(ns, record, *slot, timeout, signal));
  DetachNetwork(ns, record.id);
  return absl::OkStatus();
}

absl::Status ContainerSupervisor::StopLocked(const std::string& ns, const ContainerRecord& record,
                                             Slot& slot, std::optional<absl::Duration> timeout,
                                             const std::string& signal) {
  // A stop ends restarting too (Docker), also for a container between restarts.
  store_
      ->Update(ns, record.id,
               [](ContainerRecord& r) {
                 r.state.stopped_by_user = true;
                 if (r.state.status == ContainerStatus::kRestarting) {
                   r.state.status = ContainerStatus::kExited;
                 }
                 return absl::OkStatus();
               })
      .IgnoreError();
  std::shared_ptr<shim::ShimClient> shim;
  int generation = 0;
  {
    std::lock_guard lock(slot.mu);
    if (!slot.task_ready) return absl::OkStatus();  // not running: nothing to stop
    shim = slot.shim;
    generation = slot.exit_generation;
  }
  const v1::ContainerSpec spec = SpecOf(record);
  std::string name = !signal.empty() ? signal : spec.stop_signal();
  if (name.empty()) name = "SIGTERM";
  BERTH_ASSIGN_OR_RETURN(int number, ParseSignal(name));
  const absl::Duration grace = timeout.has_value() ? *timeout
                               : spec.has_stop_timeout()
                                   ? absl::Seconds(spec.stop_timeout().seconds()) +
                                         absl::Nanoseconds(spec.stop_timeout().nanos())
                                   : absl::Seconds(10);
  if (record.state.status == ContainerStatus::kPaused) {
    shim::v1::ResumeRequest resume;
    resume.set_id(record.id);
    shim->Call("Resume", resume, nullptr).IgnoreError();  // a frozen process cannot die
  }
  shim::v1::KillRequest kill;
  kill.set_id(record.id);
  kill.set_signal(static_cast<uint32_t>(number));
  shim->Call("Kill", kill, nullptr).IgnoreError();
  Publish(ns, record, "kill", {{"signal", std::to_string(number)}});
  auto exited = [&] { return slot.exit_generation != generation; };
  {
    std::unique_lock lock(slot.mu);
    if (slot.changed.wait_for(lock, std::chrono::milliseconds(absl::ToInt64Milliseconds(grace)),
                              exited)) {
      lock.unlock();
      Publish(ns, record, "stop");
      return absl::OkStatus();
    }
  }
  kill.set_signal(SIGKILL);
  kill.set_all(true);
  shim->Call("Kill", kill, nullptr).IgnoreError();
  Publish(ns, record, "kill", {{"signal", std::to_string(SIGKILL)}});
  std::unique_lock lock(slot.mu);
  if (!slot.changed.wait_for(lock, std::chrono::seconds(30), exited)) {
    return absl::DeadlineExceededError(
        absl::StrCat("container ", record.id, " did not exit after SIGKILL"));
  }
  lock.unlock();
  Publish(ns, record, "stop");
  return absl::OkStatus();
}

absl::Status ContainerSupervisor::Kill(const std::string& ns, const std::string& ref,
                                       const std::string& exec_id, const std::string& signal,
                                       bool all) {
  std::string id;
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<shim::ShimClient> shim, ShimOf(ns, ref, &id));
  BERTH_ASSIGN_OR_RETURN(int number, ParseSignal(signal.empty() ? "SIGKILL" : signal));
  shim::v1::KillRequest kill;
  kill.set_id(id);
  kill.set_exec_id(exec_id);
  kill.set_signal(static_cast<uint32_t>(number));
  kill.set_all(all);
  BERTH_RETURN_IF_ERROR(shim->Call("Kill", kill, nullptr));
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Get(ns, id));
  Publish(ns, record, "kill", {{"signal", std::to_string(number)}});
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<shim::ShimClient>> ContainerSupervisor::ShimOf(
    const std::string& ns, const std::string& ref, std::string* id) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, ref));
  if (id != nullptr) *id = record.id;
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  std::lock_guard lock(slot->mu);
  if (!slot->task_ready || slot->shim == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("Container ", record.id, " is not running"));
  }
  return slot->shim;
}

absl::Status ContainerSupervisor::Pause(const std::string& ns, const std::string& ref) {
  std::string id;
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<shim::ShimClient> shim, ShimOf(ns, ref, &id));
  shim::v1::PauseRequest request;
  request.set_id(id);
  BERTH_RETURN_IF_ERROR(shim->Call("Pause", request, nullptr));
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Update(ns, id, [](ContainerRecord& r) {
    r.state.status = ContainerStatus::kPaused;
    return absl::OkStatus();
  }));
  Publish(ns, record, "pause");
  return absl::OkStatus();
}

absl::Status ContainerSupervisor::Resume(const std::string& ns, const std::string& ref) {
  std::string id;
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<shim::ShimClient> shim, ShimOf(ns, ref, &id));
  shim::v1::ResumeRequest request;
  request.set_id(id);
  BERTH_RETURN_IF_ERROR(shim->Call("Resume", request, nullptr));
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Update(ns, id, [](ContainerRecord& r) {
    r.state.status = ContainerStatus::kRunning;
    return absl::OkStatus();
  }));
  Publish(ns, record, "unpause");
  return absl::OkStatus();
}

absl::Status ContainerSupervisor::Restart(const std::string& ns, const std::string& ref,
                                          std::optional<absl::Duration> timeout,
                                          const std::string& signal) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, ref));
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  std::lock_guard op(slot->op_mu);
  BERTH_RETURN_IF_ERROR(StopLocked(ns, record, *slot, timeout, signal));
  BERTH_ASSIGN_OR_RETURN(record, store_->Get(ns, record.id));
  BERTH_RETURN_IF_ERROR(StartLocked(ns, record, *slot).status());
  BERTH_ASSIGN_OR_RETURN(record, store_->Get(ns, record.id));
  Publish(ns, record, "restart");
  return absl::OkStatus();
}

ContainerSupervisor::ExitWatch ContainerSupervisor::WatchExit(const std::string& id) {
  ExitWatch watch;
  watch.slot = SlotOf(id);
  std::lock_guard lock(watch.slot->mu);
  watch.generation = watch.slot->exit_generation;
  return watch;
}

absl::StatusOr<ExitInfo> ContainerSupervisor::AwaitExitAfter(
    const ExitWatch& watch, const std::function<bool()>& cancelled) {
  Slot& slot = *watch.slot;
  std::unique_lock lock(slot.mu);
  if (!slot.WaitFor(
          lock, [&] { return slot.exit_generation > watch.generation; }, cancelled)) {
    return absl::CancelledError("waiting for the container was cancelled");
  }
  return slot.last_exit;
}

absl::StatusOr<ExitInfo> ContainerSupervisor::Wait(const std::string& ns, const std::string& ref,
                                                   v1::WaitCondition condition,
                                                   const std::function<bool()>& cancelled) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, ref));
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  if (condition == v1::WAIT_CONDITION_REMOVED &&
      absl::IsNotFound(store_->Get(ns, record.id).status())) {
    // Removed between Resolve and SlotOf: this slot is a new one nobody will mark removed.
    DropSlot(record.id);
    return ExitInfo{record.state.exit_code, record.state.finished_at, record.state.oom_killed};
  }
  std::unique_lock lock(slot->mu);
  const int generation = slot->exit_generation;
  if (condition == v1::WAIT_CONDITION_REMOVED) {
    if (!slot->WaitFor(
            lock, [&] { return slot->removed; }, cancelled)) {
      return absl::CancelledError("waiting for the container was cancelled");
    }
    return slot->exit_generation > 0 ? slot->last_exit
                                     : ExitInfo{record.state.exit_code, record.state.finished_at,
                                                record.state.oom_killed};
  }
  const bool running = slot->task_ready;
  if (condition != v1::WAIT_CONDITION_NEXT_EXIT && !running) {
    return ExitInfo{record.state.exit_code, record.state.finished_at, record.state.oom_killed};
  }
  if (!slot->WaitFor(
          lock, [&] { return slot->exit_generation > generation || slot->removed; }, cancelled)) {
    return absl::CancelledError("waiting for the container was cancelled");
  }
  return slot->last_exit;
}

absl::Status ContainerSupervisor::Delete(const std::string& ns, const std::string& ref, bool force,
                                         bool remove_volumes) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, ref));
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  std::lock_guard op(slot->op_mu);
  BERTH_ASSIGN_OR_RETURN(record, store_->Get(ns, record.id));
  return DeleteLocked(ns, record, *slot, force, remove_volumes);
}

absl::Status ContainerSupervisor::DeleteLocked(const std::string& ns, const ContainerRecord& record,
                                               Slot& slot, bool force, bool remove_volumes) {
  bool running = false;
  {
    std::lock_guard lock(slot.mu);
    running = slot.task_ready;
  }
  if (running && !force) {
    return absl::FailedPreconditionError(absl::StrCat(
        "You cannot remove a ",
        record.state.status == ContainerStatus::kPaused ? "paused" : "running", " container ",
        record.id, ". Stop the container before attempting removal or force remove"));
  }
  if (running) {
    BERTH_RETURN_IF_ERROR(StopLocked(ns, record, slot, absl::ZeroDuration(), "SIGKILL"));
  }
  health_->Stop(record.id);
  TearDownTask(record.id, slot);
  WaitForEndingShims(slot);  // they are reached through the task dir removed below
  DetachNetwork(ns, record.id);
  if (volumes_ != nullptr && (!record.mounts.empty() || !SpecOf(record).volumes_from().empty())) {
    BERTH_RETURN_IF_ERROR(volumes_->Release(ns, record.id, remove_volumes));
  }
  absl::Status removed = images_->RemoveRootfs(ns, record.snapshotter, record.snapshot_key);
  if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
  std::error_code ignored;
  std::filesystem::remove_all(TaskDir(record.id), ignored);
  std::filesystem::remove_all(ContainerDir(record.id), ignored);
  BERTH_RETURN_IF_ERROR(store_->Delete(ns, record.id));
  {
    std::lock_guard lock(slot.mu);
    slot.removed = true;
    slot.changed.notify_all();
  }
  Publish(ns, record, "destroy");
  DropSlot(record.id);
  return absl::OkStatus();
}

absl::Status ContainerSupervisor::Update(const std::string& ns,
                                         const v1::UpdateContainerRequest& request) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, request.id()));
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  std::lock_guard op(slot->op_mu);
  BERTH_ASSIGN_OR_RETURN(record, store_->Get(ns, record.id));
  v1::ContainerSpec spec = SpecOf(record);
  const std::set<std::string> paths(request.update_mask().paths().begin(),
                                    request.update_mask().paths().end());
  auto wanted = [&](const std::string& path, bool given) {
    return paths.empty() ? given : paths.contains(path);
  };
  const v1::Resources& in = request.resources();
  v1::Resources& out = *spec.mutable_resources();
  bool resources_changed = false;
  auto take = [&](const std::string& field, auto given_value, auto set) {
    if (!wanted("resources." + field, given_value != decltype(given_value){})) return;
    set(given_value);
    resources_changed = true;
  };
  take("memory_bytes", in.memory_bytes(), [&](int64_t v) { out.set_memory_bytes(v); });
  take("memory_swap_bytes", in.memory_swap_bytes(),
       [&](int64_t v) { out.set_memory_swap_bytes(v); });
  take("memory_reservation_bytes", in.memory_reservation_bytes(),
       [&](int64_t v) { out.set_memory_reservation_bytes(v); });
  take("nano_cpus", in.nano_cpus(), [&](int64_t v) { out.set_nano_cpus(v); });
  take("cpu_shares", in.cpu_shares(), [&](int64_t v) { out.set_cpu_shares(v); });
  take("cpu_period_us", in.cpu_period_us(), [&](int64_t v) { out.set_cpu_period_us(v); });
  take("cpu_quota_us", in.cpu_quota_us(), [&](int64_t v) { out.set_cpu_quota_us(v); });
  take("cpuset_cpus", in.cpuset_cpus(), [&](const std::string& v) { out.set_cpuset_cpus(v); });
  take("cpuset_mems", in.cpuset_mems(), [&](const std::string& v) { out.set_cpuset_mems(v); });
  take("pids_limit", in.pids_limit(), [&](int64_t v) { out.set_pids_limit(v); });
  take("blkio_weight", in.blkio_weight(), [&](uint32_t v) { out.set_blkio_weight(v); });
  for (const std::string& path : paths) {
    if (absl::StartsWith(path, "resources.") && !resources_changed) {
      return absl::InvalidArgumentError(absl::StrCat("cannot update \"", path, "\""));
    }
  }
  std::optional<RestartPolicy> policy;
  if (wanted("restart_policy", request.restart_policy() != v1::RESTART_POLICY_UNSPECIFIED)) {
    v1::ContainerSpec with_policy;
    with_policy.set_restart_policy(request.restart_policy());
    with_policy.set_restart_max_retries(request.restart_max_retries());
    spec.set_restart_policy(request.restart_policy());
    spec.set_restart_max_retries(request.restart_max_retries());
    policy = PolicyFromSpec(with_policy);
    BERTH_RETURN_IF_ERROR(ValidateRestartPolicy(*policy));
    if (spec.auto_remove() && policy->name != RestartPolicyName::kNo) {
      return absl::InvalidArgumentError("Conflicting options: --restart and --rm");
    }
  }
  if (resources_changed) {
    // Docker's rules (swap twice the memory, --cpus as a quota) as at create.
    oci::Resources limits;
    BERTH_RETURN_IF_ERROR(ApplyResourceLimits(OptionsFromSpec(spec).resources, limits));
    std::shared_ptr<shim::ShimClient> shim;
    {
      std::lock_guard lock(slot->mu);
      if (slot->task_ready) shim = slot->shim;
    }
    if (shim != nullptr) {
      oci::Spec carrier;
      carrier.linux_config.resources = limits;
      auto json = nlohmann::json::parse(oci::SerializeSpec(carrier), nullptr, false);
      if (json.is_discarded() || !json.contains("linux") || !json["linux"].contains("resources")) {
        return absl::InternalError("cannot encode the new limits");
      }
      shim::v1::UpdateTaskRequest update;
      update.set_id(record.id);
      update.set_resources(json["linux"]["resources"].dump());
      BERTH_RETURN_IF_ERROR(shim->Call("Update", update, nullptr));
    }
  }
  BERTH_ASSIGN_OR_RETURN(record, store_->Update(ns, record.id, [&](ContainerRecord& r) {
    r.spec = spec.SerializeAsString();
    if (policy.has_value()) r.restart_policy = *policy;
    return absl::OkStatus();
  }));
  Publish(ns, record, "update");
  return absl::OkStatus();
}

absl::Status ContainerSupervisor::Rename(const std::string& ns, const std::string& ref,
                                         const std::string& new_name) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, ref));
  const std::string old_name = record.name;
  BERTH_RETURN_IF_ERROR(store_->Rename(ns, record.id, new_name));
  BERTH_ASSIGN_OR_RETURN(record, store_->Get(ns, record.id));
  Publish(ns, record, "rename", {{"oldName", "/" + old_name}});
  return absl::OkStatus();
}

}  // namespace berth::runtime
