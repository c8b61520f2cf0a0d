// Which namespaces a container gets: new ones through clone() flags, existing ones
// joined by path (opened by the parent, entered by the child with setns()).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shim/oci/spec.h"

namespace berth::oci {

struct NamespacePlan {
  int clone_flags = 0;
  struct Join {
    int fd;  // owned; closed by the child after setns, and by the destructor here
    int nstype;
    const char* path;
  };
  std::vector<Join> joins;        // a user namespace first, as setns needs
  bool user_namespace = false;    // a new one: id maps are written by the parent
  bool mount_namespace = false;   // new or joined: the root file system is set up
  bool cgroup_namespace = false;  // a new one: unshared by the child once in its cgroup
  // A new time namespace: clone() cannot make one, so the child unshares it (which
  // applies to what it execs) and writes `time_offsets` (/proc/<pid>/timens_offsets
  // lines for linux.timeOffsets) before anything has entered it.
  bool time_namespace = false;
  std::string time_offsets;
  std::string uid_map;
  std::string gid_map;
  std::vector<std::string> paths;  // storage for Join::path

  NamespacePlan() = default;
  NamespacePlan(NamespacePlan&&) = default;
  NamespacePlan& operator=(NamespacePlan&&) = default;
  ~NamespacePlan();

  // setns() into a joined pid namespace must happen in the parent: it applies to the
  // children created afterwards.
  absl::Status EnterPidNamespace() const;
  absl::Status WriteIdMaps(pid_t pid) const;
};

absl::StatusOr<int> NamespaceCloneFlag(const std::string& type);

absl::StatusOr<NamespacePlan> PlanNamespaces(const Spec& spec);

}  // namespace berth::oci
