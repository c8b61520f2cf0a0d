// berth-oci's record of each container it created: <root>/<id>/state.json (0600 in a
// 0700 directory) beside the exec fifo, and the status derived from the live system.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "shim/oci/state.h"

namespace berth::oci {

struct ContainerRecord {
  std::string id;
  pid_t pid = 0;
  uint64_t start_time = 0;  // the init's /proc/<pid>/stat starttime: tells pid reuse apart
  std::string bundle;
  std::string rootfs;
  // linux.cgroupsPath as created (maybe relative), and the cgroups it was relative to:
  // hierarchy mountpoint -> the creating process' own path there ("" key: v2 tree).
  std::string cgroups_path;
  std::map<std::string, std::string> cgroup_parents;
  absl::Time created = absl::UnixEpoch();
  std::string owner;
  std::map<std::string, std::string> annotations;
};

class Cgroup;
struct CgroupLayout;

// This process' own cgroups in `layout`, to be stored as ContainerRecord::cgroup_parents.
std::map<std::string, std::string> CgroupParents(const CgroupLayout& layout);

// The container's cgroup, reopened the way it was created whatever this process' cgroup.
absl::StatusOr<std::unique_ptr<Cgroup>> OpenContainerCgroup(const ContainerRecord& record);

// runc's rule for container ids: letters, digits, '_', '+', '-', '.'; not "." or "..".
absl::Status ValidateContainerId(const std::string& id);

// starttime (field 22) of /proc/<pid>/stat; NotFound when the process is gone.
absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid);

class ContainerStore {
 public:
  explicit ContainerStore(std::string root) : root_(std::move(root)) {}

  std::string Dir(const std::string& id) const { return root_ + "/" + id; }
  std::string FifoPath(const std::string& id) const { return Dir(id) + "/exec.fifo"; }

  // Creates <root>/<id>/ and its exec fifo; AlreadyExists when the id is taken.
  absl::Status Reserve(const std::string& id);
  absl::Status Save(const ContainerRecord& record);
  absl::StatusOr<ContainerRecord> Load(const std::string& id) const;
  absl::Status Remove(const std::string& id);
  std::vector<std::string> List() const;

  // created (waiting on the fifo), running, paused (frozen cgroup) or stopped.
  ContainerStatus StatusOf(const ContainerRecord& record) const;
  State StateOf(const ContainerRecord& record) const;

 private:
  std::string root_;
};

}  // namespace berth::oci
