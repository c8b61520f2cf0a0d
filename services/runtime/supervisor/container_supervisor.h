// The runtime's container lifecycle: a container's rootfs, bundle and record at create;
// a berth-shim per task at start; stop, kill, pause, wait, exec and attach through the
// shim; exits followed on one monitor thread, recorded, published and answered with the
// restart policy; and, when the runtime starts, every shim found again (live restore).
//
// Files: <root>/containers/<id>/ keeps what outlives a task (the json log, hostname,
// hosts, resolv.conf); <state>/tasks/<id>/ is the bundle and the shim's state dir
// (config.json, rootfs/, shim.sock, init.exit). Thread-safe: lifecycle operations on one
// container are serialized; different containers proceed in parallel.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "berth/runtime/v1/containers.pb.h"
#include "berth/runtime/v1/tasks.pb.h"
#include "services/runtime/core/container_store.h"
#include "services/runtime/core/event_bus.h"
#include "services/runtime/core/image_source.h"
#include "services/runtime/supervisor/health_checker.h"
#include "services/runtime/supervisor/network_source.h"
#include "services/runtime/supervisor/task_monitor.h"
#include "services/runtime/supervisor/volume_source.h"
#include "shim/client/shim_client.h"

namespace berth::runtime {

struct SupervisorOptions {
  std::string root_dir;
  std::string state_dir;
  std::string shim_binary;
  // berth-init, bound into containers run with `--init`; "" when not found (such a
  // create then fails).
  std::string init_binary;
  bool default_init = false;  // daemon.json "init": `--init` unless a create says otherwise
  // Containers' cgroups go under this absolute path; "" nests them under the cgroup of
  // the shim, which is the runtime's own.
  std::string cgroup_parent;
  std::string default_log_driver = "json-file";
  std::map<std::string, std::string> default_log_opts;  // "max-size", "max-file"
  // Told how long each successful start took (for berth_container_start_seconds); may be
  // empty. Keeps metrics libraries out of the supervisor.
  std::function<void(absl::Duration)> started;
};

struct ExitInfo {
  int exit_code = 0;
  absl::Time exited_at = absl::InfinitePast();
  bool oom_killed = false;
};

// What an attach needs once its process exists: the shim to stream from.
struct AttachTarget {
  std::string container_id;
  std::string exec_id;  // "" the init
  std::shared_ptr<shim::ShimClient> shim;
  bool tty = false;
  bool open_stdin = false;
  bool stdin_once = false;
};

class ContainerSupervisor {
 private:
  struct Slot;  // per container: its task, exits and waiters (container_slot.h)

 public:
  static absl::StatusOr<std::unique_ptr<ContainerSupervisor>> Create(
      SupervisorOptions options, ContainerStore* store, ImageSource* images, VolumeSource* volumes,
      NetworkSource* network, EventBus* events);
  ~ContainerSupervisor();

  // Live restore: reconnects to running shims, settles containers whose task ended while
  // the runtime was away, cleans up half-created ones, applies restart policies.
  absl::Status Restore();

  absl::StatusOr<ContainerRecord> CreateContainer(const std::string& ns, const std::string& name,
                                                  const v1::ContainerSpec& spec);
  // The init's host pid.
  absl::StatusOr<int> Start(const std::string& ns, const std::string& ref);
  absl::Status Stop(const std::string& ns, const std::string& ref,
                    std::optional<absl::Duration> timeout, const std::string& signal);
  absl::Status Kill(const std::string& ns, const std::string& ref, const std::string& exec_id,
                    const std::string& signal, bool all);
  absl::Status Pause(const std::string& ns, const std::string& ref);
  absl::Status Resume(const std::string& ns, const std::string& ref);
  absl::Status Restart(const std::string& ns, const std::string& ref,
                       std::optional<absl::Duration> timeout, const std::string& signal);
  // `cancelled` (asked while waiting) ends the wait with CANCELLED.
  absl::StatusOr<ExitInfo> Wait(const std::string& ns, const std::string& ref,
                                v1::WaitCondition condition,
                                const std::function<bool()>& cancelled = nullptr);
  // `remove_volumes` also removes its anonymous volumes (`rm -v`).
  absl::Status Delete(const std::string& ns, const std::string& ref, bool force,
                      bool remove_volumes);
  absl::Status Rename(const std::string& ns, const std::string& ref, const std::string& new_name);
  // `docker network connect`: the network joins the container's spec (attached at each
  // start) and, while it runs, is attached in its netns at once.
  absl::Status ConnectNetwork(const std::string& ns, const std::string& ref,
                              const v1::ContainerNetworkRequest& request);
  // `docker network disconnect`: detached now if running, and gone from the spec.
  absl::Status DisconnectNetwork(const std::string& ns, const std::string& ref,
                                 const std::string& network);
  // `docker update`: resources (applied live to a running container's cgroup) and the
  // restart policy, by the request's field mask (empty: every field given non-zero).
  absl::Status Update(const std::string& ns, const v1::UpdateContainerRequest& request);

  // The container's network endpoints (of every container when `id` is empty); none
  // without a network service.
  absl::StatusOr<std::vector<network::v1::Endpoint>> Endpoints(const std::string& ns,
                                                               const std::string& id);

  // The spec a record was created from (its opaque bytes parsed).
  static v1::ContainerSpec SpecOf(const ContainerRecord& record);
  std::string LogPath(const std::string& id) const;
  std::string ContainerDir(const std::string& id) const;
  std::string TaskDir(const std::string& id) const;

  // ---- exec ----
  absl::StatusOr<std::string> CreateExec(const std::string& ns,
                                         const v1::CreateExecRequest& request);
  absl::StatusOr<int> StartExec(const std::string& ns, const std::string& exec_id);
  absl::StatusOr<v1::ExecInspect> InspectExec(const std::string& ns, const std::string& exec_id);
  absl::StatusOr<ExitInfo> WaitExec(const std::string& ns, const std::string& exec_id,
                                    const std::function<bool()>& cancelled = nullptr);

  // ---- attach ----
  // Waits until the process exists (the container is started or the exec is started by
  // another call), then calls `connect`, which must return once the shim has the attach
  // in place: Start and StartExec wait for pending attaches before the process runs, so
  // no output is missed. Registered before it returns: call it before Start.
  // `registered` runs once the attach counts as pending (before any wait); `cancelled`
  // is asked while waiting (the client went away).
  absl::Status Attach(const std::string& ns, const std::string& ref, const std::string& exec_id,
                      const std::function<void()>& registered,
                      const std::function<bool()>& cancelled,
                      const std::function<absl::Status(const AttachTarget&)>& connect);
  // The full ID `ref` names.
  absl::StatusOr<std::string> ResolveId(const std::string& ns, const std::string& ref);
  // Where a wait for the init's next exit starts (for the end of an attach): how many
  // exits the container had, and its slot itself, so that the exit is known even after
  // an auto-removal dropped the slot (looking it up again would make a new one, which
  // no exit ever reaches).
  struct ExitWatch {
    std::shared_ptr<Slot> slot;
    int generation = 0;
  };
  ExitWatch WatchExit(const std::string& id);
  // Exit of the next (or, if none is pending, the current) run of the container's init.
  absl::StatusOr<ExitInfo> AwaitExitAfter(const ExitWatch& watch,
                                          const std::function<bool()>& cancelled = nullptr);

  // The health of a container with a health check (unset status otherwise).
  v1::Health HealthOf(const std::string& id) { return health_->Get(id); }

  // The running task's shim (Stats, Pids, Top, ResizePty, CloseIO).
  absl::StatusOr<std::shared_ptr<shim::ShimClient>> ShimOf(const std::string& ns,
                                                           const std::string& ref,
                                                           std::string* id = nullptr);

 private:
  struct ExecEntry;

  ContainerSupervisor(SupervisorOptions options, ContainerStore* store, ImageSource* images,
                      VolumeSource* volumes, NetworkSource* network, EventBus* events)
      : options_(std::move(options)),
        store_(store),
        images_(images),
        volumes_(volumes),
        network_(network),
        events_(events) {}

  std::shared_ptr<Slot> SlotOf(const std::string& id);
  absl::StatusOr<std::shared_ptr<ExecEntry>> FindExec(const std::string& ns,
                                                      const std::string& exec_id);
  void DropSlot(const std::string& id);
  absl::StatusOr<int> StartLocked(const std::string& ns, ContainerRecord record, Slot& slot);
  absl::Status StopLocked(const std::string& ns, const ContainerRecord& record, Slot& slot,
                          std::optional<absl::Duration> timeout, const std::string& signal);
  absl::Status CreateTask(const std::string& ns, const ContainerRecord& record, Slot& slot);
  // Takes the slot's task away, deletes it in its shim and ends the shim; idempotent.
  void TearDownTask(const std::string& id, Slot& slot);
  void EndShim(const std::string& id, std::shared_ptr<shim::ShimClient> shim);
  // Until the shims of exited tasks are gone (they are reached through the task dir).
  void WaitForEndingShims(Slot& slot);
  absl::Status DeleteLocked(const std::string& ns, const ContainerRecord& record, Slot& slot,
                            bool force, bool remove_volumes);
  // The container's mounts from the volume service, into `options` (volumes and binds
  // in `mounts`, tmpfs in `tmpfs`); what inspect shows of them into `points`.
  absl::Status ResolveMounts(const std::string& ns, const std::string& id,
                             const v1::ContainerSpec& spec, const PreparedRootfs& rootfs,
                             ContainerOptions& options, v1::MountPoints& points);
  void OnShimEvent(const std::string& id, const shim::v1::ShimEvent& event);
  void OnShimGone(const std::string& id);
  // After its shim died: kills what is left in the container's cgroup, removes the cgroup
  // and unmounts the rootfs.
  void EndOrphanedTask(const std::string& id);
  // The container's networks attached and its bundle's spec pointed at their netns and
  // name files (container_network.cc); what an earlier run left is detached first.
  absl::Status AttachNetwork(const std::string& ns, const ContainerRecord& record,
                             const v1::ContainerSpec& spec);
  // Every network of the container detached; failures are logged.
  void DetachNetwork(const std::string& ns, const std::string& id);
  // The network names of the spec's mode (first) and of each of its `networks`.
  absl::StatusOr<std::vector<std::string>> JoinedNetworks(const std::string& ns,
                                                          const v1::ContainerSpec& spec);
  // Endpoints of containers not in `live` (id → namespace) detached, in the background.
  void ReconcileNetworks(const std::map<std::string, std::string>& live);
  void OnInitExit(const std::string& id, const ExitInfo& exit);
  // Starts the container's health check, if its spec has one: afresh for a new task, or
  // (`resume`, live restore) from the health its record kept.
  void StartHealthCheck(const std::string& ns, const ContainerRecord& record,
                        std::shared_ptr<shim::ShimClient> shim, bool resume);
  void ScheduleRestart(const std::string& ns, const std::string& id, absl::Duration delay);
  void Publish(const std::string& ns, const ContainerRecord& record, const std::string& action,
               std::map<std::string, std::string> extra = {});
  absl::StatusOr<std::string> NamespaceOf(const std::string& id);
  absl::Status CleanupOrphans(const std::map<std::string, std::string>& known_ids);

  SupervisorOptions options_;
  ContainerStore* store_;
  ImageSource* images_;
  VolumeSource* volumes_;   // null when berthd has no volume service configured
  NetworkSource* network_;  // null when berthd has no network service configured
  EventBus* events_;
  std::unique_ptr<TaskMonitor> monitor_;
  std::unique_ptr<HealthChecker> health_;

  std::mutex mu_;  // slots_, execs_, container_ns_
  std::map<std::string, std::shared_ptr<Slot>> slots_;
  std::map<std::string, std::shared_ptr<ExecEntry>> execs_;  // by exec id
  std::map<std::string, std::string> container_ns_;          // id → namespace
  bool shutting_down_ = false;
};

}  // namespace berth::runtime
