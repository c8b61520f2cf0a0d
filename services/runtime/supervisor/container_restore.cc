// Live restore: what the runtime does when it starts over shims that kept running.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/file_text.h"
#include "common/status_macros.h"
#include "services/runtime/core/restart_rules.h"
#include "services/runtime/supervisor/container_slot.h"
#include "services/runtime/supervisor/container_supervisor.h"
#include "shim/oci/cgroups/cgroup.h"
#include "shim/oci/cgroups/cgroup_layout.h"
#include "shim/oci/rootfs_mounts.h"
#include "shim/oci/spec.h"
#include "shim/protocol/proto_time.h"
#include "shim/protocol/recorded_exit.h"

namespace berth::runtime {
namespace {

// Ends a shim nobody follows (if one still serves in `task_dir`), processes and all, and
// unmounts the rootfs it may have left.
void EndLeftoverShim(const std::string& id, const std::string& task_dir) {
  shim::ShimClient shim(shim::ShimSocketPath(task_dir));
  shim::v1::ShutdownRequest shutdown;
  shutdown.set_id(id);
  shutdown.set_now(true);
  shim.Call("Shutdown", shutdown, nullptr, absl::Seconds(5)).IgnoreError();
  oci::UnmountAll(task_dir + "/rootfs").IgnoreError();
}

}  // namespace

void ContainerSupervisor::EndOrphanedTask(const std::string& id) {
  const std::string task_dir = TaskDir(id);
  // Processes whose shim died live on in the container's cgroup: killed, then the
  // cgroup removed (what `berth-oci delete --force` does).
  absl::StatusOr<oci::Spec> spec = oci::LoadSpec(task_dir);
  absl::StatusOr<oci::CgroupLayout> layout = oci::DetectCgroupLayout();
  if (spec.ok() && layout.ok() && !spec->linux_config.cgroups_path.empty()) {
    if (auto cgroup = oci::OpenCgroup(spec->linux_config.cgroups_path, *layout); cgroup.ok()) {
      (*cgroup)->Thaw().IgnoreError();
      (*cgroup)->Kill(SIGKILL).IgnoreError();
      // The killed processes leave the cgroup as they are reaped, by their new parent.
      for (int i = 0; i < 50 && !(*cgroup)->Destroy().ok(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  oci::UnmountAll(task_dir + "/rootfs").IgnoreError();
}

absl::Status ContainerSupervisor::Restore() {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> namespaces, store_->ListNamespaces());
  std::map<std::string, std::string> known;  // id → namespace
  // Containers whose network endpoints stay: those that had a task (one that ended
  // meanwhile detaches as any exit does) and those a restart policy may start again
  // (their start re-attaches). Everything else attached is stale.
  std::map<std::string, std::string> network_live;
  for (const std::string& ns : namespaces) {
    BERTH_ASSIGN_OR_RETURN(std::vector<ContainerRecord> records, store_->List(ns));
    for (const ContainerRecord& record : records) {
      known[record.id] = ns;
      {
        std::lock_guard lock(mu_);
        container_ns_[record.id] = ns;
      }
      const ContainerStatus status = record.state.status;
      const bool had_task = status == ContainerStatus::kRunning ||
                            status == ContainerStatus::kPaused ||
                            status == ContainerStatus::kRestarting;
      if (had_task || record.restart_policy.name != RestartPolicyName::kNo) {
        network_live[record.id] = ns;
      }
      if (!had_task) {
        // A shim left from a start that berthd did not see through (it died between the
        // shim's Create and Start): its init never ran; end it and what it mounted.
        if (std::filesystem::exists(shim::ShimSocketPath(TaskDir(record.id)))) {
          EndLeftoverShim(record.id, TaskDir(record.id));
          std::filesystem::remove(shim::ShimSocketPath(TaskDir(record.id)));
        }
        if (status == ContainerStatus::kExited &&
            ShouldRestart(record.restart_policy, record.state, RestartMoment::kDaemonStarted)) {
          ScheduleRestart(ns, record.id, absl::ZeroDuration());
        }
        continue;
      }
      std::shared_ptr<Slot> slot = SlotOf(record.id);
      auto shim = std::make_shared<shim::ShimClient>(shim::ShimSocketPath(TaskDir(record.id)));
      shim::v1::StateRequest request;
      request.set_id(record.id);
      absl::StatusOr<shim::v1::StateResponse> state =
          shim->Call<shim::v1::StateResponse>("State", request, absl::Seconds(5));
      if (state.ok() && monitor_->Watch(record.id, *shim).ok()) {
        {
          std::lock_guard lock(slot->mu);
          slot->shim = shim;
          slot->task_ready = true;
          slot->task_generation++;
          slot->started_at = record.state.started_at;
        }
        // Asked again now that events are followed: an exit in between is not missed.
        state = shim->Call<shim::v1::StateResponse>("State", request, absl::Seconds(5));
        if (state.ok() && state->status() == shim::v1::TASK_STATUS_STOPPED) {
          OnInitExit(record.id,
                     ExitInfo{static_cast<int>(state->exit_status()),
                              shim::FromProtoTime(state->exited_at()), state->oom_killed()});
        } else {
          StartHealthCheck(ns, record, shim, /*resume=*/true);
        }
        continue;
      }
      // The shim is gone: how the container ended is what it recorded, or unknown (255).
      ExitInfo exit{255, absl::Now(), false};
      if (auto recorded = shim::ReadRecordedExit(TaskDir(record.id)); recorded.ok()) {
        exit = ExitInfo{static_cast<int>(recorded->exit_status), recorded->exited_at,
                        recorded->oom_killed};
      }
      EndOrphanedTask(record.id);
      {
        std::lock_guard lock(slot->mu);
        slot->task_ready = true;  // settled by OnInitExit like any exit
        slot->started_at = record.state.started_at;
      }
      OnInitExit(record.id, exit);
    }
  }
  ReconcileNetworks(network_live);
  return CleanupOrphans(known);
}

absl::Status ContainerSupervisor::CleanupOrphans(const std::map<std::string, std::string>& known) {
  // Task dirs without a record: a create that crashed half-way. Its shim (if any) ends,
  // its rootfs is unmounted and its snapshot removed.
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(options_.state_dir + "/tasks", error)) {
    const std::string id = entry.path().filename();
    if (known.contains(id)) continue;
    const std::string task_dir = entry.path();
    EndLeftoverShim(id, task_dir);
    if (auto ns = ReadFileText(task_dir + "/namespace"); ns.ok()) {
      // Later: the images service may not serve yet while the runtime starts.
      std::thread([this, ns = *ns, id] {
        images_->RemoveRootfs(ns, "", id).IgnoreError();
        // Volumes it resolved; a no-op when it got no further than that.
        if (volumes_ != nullptr) volumes_->Release(ns, id, /*remove_anonymous=*/true).IgnoreError();
      }).detach();
    }
    std::error_code ignored;
    std::filesystem::remove_all(task_dir, ignored);
  }
  for (const auto& entry :
       std::filesystem::directory_iterator(options_.root_dir + "/containers", error)) {
    if (known.contains(entry.path().filename())) continue;
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
  return absl::OkStatus();
}

}  // namespace berth::runtime
