// The supervisor's in-memory state of one container and of its exec'd processes
// (private to the supervisor's .cc files).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "services/runtime/supervisor/container_supervisor.h"

namespace berth::runtime {

struct ContainerSupervisor::ExecEntry {
  std::string id;
  std::string ns;
  std::string container_id;
  v1::CreateExecRequest request;
  // Guarded by the container slot's `mu`.
  bool created = false;  // known to the shim
  bool running = false;
  bool exited = false;
  int pid = 0;
  ExitInfo exit;
  int pending_attach = 0;
};

struct ContainerSupervisor::Slot {
  std::mutex op_mu;  // one lifecycle operation (start, stop, delete…) at a time
  std::mutex mu;     // everything below
  std::condition_variable changed;
  std::shared_ptr<shim::ShimClient> shim;  // while a task exists
  bool task_ready = false;                 // the task exists in its shim and has not exited
  int task_generation = 0;                 // bumped when a task is created
  int exit_generation = 0;                 // bumped when the init exits
  ExitInfo last_exit;
  int pending_attach = 0;      // attaches to the init waiting for its task
  int start_failures = 0;      // bumped when a start fails: waiting attaches give up
  int ending_shims = 0;        // shims of exited tasks still being deleted and shut down
  bool oom_published = false;  // an `oom` event went out for the current task
  // The network service may hold endpoints of it (unknown after a restart: assumed).
  bool network_attached = true;
  bool removed = false;
  bool tearing_down = false;
  absl::Time started_at = absl::InfinitePast();
  int consecutive_restarts = 0;
  std::map<std::string, std::shared_ptr<ExecEntry>> execs;

  // Waits on `changed` until `done`; false when `cancelled` turned true first (it is asked
  // every 200 ms: a caller that went away, a server shutting down).
  template <typename Done>
  bool WaitFor(std::unique_lock<std::mutex>& lock, Done done,
               const std::function<bool()>& cancelled) {
    while (!done()) {
      if (cancelled && cancelled()) return false;
      changed.wait_for(lock, std::chrono::milliseconds(200));
    }
    return true;
  }
};

}  // namespace berth::runtime
