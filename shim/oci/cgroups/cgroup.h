// A container's cgroup, whatever the host mounts: one interface, one implementation per
// hierarchy layout (cgroup_v1.cc, cgroup_v2.cc, cgroup_hybrid.cc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"
#include "shim/oci/cgroups/cgroup_layout.h"
#include "shim/oci/cgroups/resources.h"

namespace berth::oci {

enum class FreezerState { kThawed, kFreezing, kFrozen };
absl::string_view FreezerStateName(FreezerState state);  // "thawed", "freezing", "frozen"

struct CgroupStats {
  struct Cpu {
    uint64_t usage_ns = 0;
    uint64_t user_ns = 0;
    uint64_t system_ns = 0;
  } cpu;
  struct Memory {
    uint64_t usage = 0;
    std::optional<uint64_t> limit;  // unset = unlimited
    uint64_t max_usage = 0;         // high-water mark (v2: memory.peak when the kernel has it)
    uint64_t cache = 0;             // page cache (v2: "file")
    uint64_t rss = 0;               // anonymous memory (v2: "anon")
    uint64_t inactive_file = 0;     // reclaimable page cache, left out of the working set
    uint64_t swap = 0;
  } memory;
  struct Pids {
    uint64_t current = 0;
    std::optional<uint64_t> limit;  // unset = max
  } pids;
  uint64_t oom_kill_count = 0;
  struct BlockIo {
    uint64_t bytes_read = 0;
    uint64_t bytes_written = 0;
  } block_io;
};

// A cgroup's directory in one mounted hierarchy.
struct CgroupHierarchyDirectory {
  std::string mountpoint;  // the hierarchy's, e.g. /sys/fs/cgroup/cpu,cpuacct
  std::string directory;   // the cgroup's, under the mountpoint
};

// Owns the cgroup's directories while it owns them: a cgroup made by CreateCgroup is
// removed by Destroy() or, failing that, by the destructor, unless Release() handed it
// on (to a shim that outlives this process, say). OpenCgroup gives a handle that owns
// nothing; its Destroy() still removes the cgroup (the OCI `delete`). Processes are not
// killed by Destroy(): call Kill(SIGKILL) first.
class Cgroup {
 public:
  virtual ~Cgroup() = default;

  // The cgroup's path as /proc/<pid>/cgroup shows it: the v2 path, or on v1 the path in
  // the memory hierarchy (the first mounted one when there is no memory controller).
  virtual std::string path() const = 0;
  // The cgroup's directory in each hierarchy it has one in (v1 controllers, the v2 tree).
  virtual std::vector<CgroupHierarchyDirectory> HierarchyDirectories() const = 0;
  // The directories alone, in the same order.
  std::vector<std::string> Directories() const;

  virtual absl::Status AddProcess(pid_t pid) = 0;
  virtual absl::Status Apply(const CgroupResources& resources) = 0;

  // Return once the kernel reports the state reached (or fail after a few seconds).
  virtual absl::Status Freeze() = 0;
  virtual absl::Status Thaw() = 0;
  virtual absl::StatusOr<FreezerState> State() = 0;

  // Controllers that are not there leave their fields at zero.
  virtual absl::StatusOr<CgroupStats> Stats() = 0;

  // An fd that becomes readable (poll/epoll) when the cgroup meets an OOM condition.
  // v1: an eventfd registered on memory.oom_control; read 8 bytes, the number of events
  //     since the last read. It also fires when the cgroup is removed.
  // v2: an inotify fd watching memory.events, which also changes on memory.high/max
  //     events; read (and discard) the inotify records.
  // On both, confirm an OOM kill by comparing OomKillCount() with its previous value.
  virtual absl::StatusOr<UniqueFd> OomEventFd() = 0;
  virtual absl::StatusOr<uint64_t> OomKillCount() = 0;

  // Processes in the cgroup and its descendants; empty when it cannot be read.
  virtual std::vector<pid_t> Pids() = 0;
  // Signals every process; SIGKILL uses cgroup.kill where the kernel has it, else freezes
  // the cgroup around the kills so that nothing forks out of reach.
  virtual absl::Status Kill(int signal) = 0;

  // Removes the cgroup (and any cgroup created below it), retrying while the last
  // processes exit, then the parent directories that CreateCgroup made. Idempotent.
  virtual absl::Status Destroy() = 0;
  // Stops owning the directories: the destructor will leave them in place.
  virtual void Release() = 0;
};

// Signals every process of `cgroup`; with `freeze`, inside a freeze so that nothing forks
// out of reach between listing and signalling. (For the implementations' Kill.)
absl::Status SignalAllProcesses(Cgroup& cgroup, int signal, bool freeze);

// Creates the cgroup named by an OCI linux.cgroupsPath:
//  - "/a/b": used as is under every hierarchy;
//  - "a/b": nested under this process' own cgroup in each hierarchy (layout.*own_path);
//  - "slice:prefix:name": the systemd driver's form, a transient scope unit systemd makes
//    when the first process is added (FailedPrecondition when systemd does not run; with
//    v1 controllers berth makes the scope's directory where systemd does not);
//  - ".." components are refused. The leaf must not exist yet (AlreadyExists).
// On failure everything created so far is removed.
absl::StatusOr<std::unique_ptr<Cgroup>> CreateCgroup(const std::string& cgroups_path,
                                                     const CgroupLayout& layout);

// Opens an existing cgroup (exec joining it, pause, delete) without taking ownership.
// For a relative path pass the layout the cgroup was created with.
absl::StatusOr<std::unique_ptr<Cgroup>> OpenCgroup(const std::string& cgroups_path,
                                                   const CgroupLayout& layout);

}  // namespace berth::oci
