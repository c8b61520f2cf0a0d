// Which cgroup hierarchies the host mounts: v1, v2 (unified) or hybrid (v1
// controllers beside a v2 tree with few or none), and where this process sits in each.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::oci {

// One mounted cgroup v1 hierarchy. Named hierarchies (name=systemd) are left out.
struct CgroupHierarchy {
  std::vector<std::string> controllers;  // {"cpu", "cpuacct"} when co-mounted
  std::string mountpoint;                // e.g. /sys/fs/cgroup/cpu,cpuacct
  std::string root = "/";                // the hierarchy's path mounted there
  std::string own_path;                  // this process' cgroup, from /proc/self/cgroup
};

struct CgroupLayout {
  enum class Version { kV1, kV2, kHybrid };
  Version version = Version::kV1;
  std::string unified_mountpoint;  // v2 tree, empty when none
  std::string unified_root = "/";  // the v2 path mounted there
  std::string unified_own_path;    // this process' v2 cgroup ("0::" line)
  std::vector<CgroupHierarchy> v1_hierarchies;
  std::vector<std::string> v1_controllers;  // e.g. cpu, memory, pids (named ones excluded)
  std::string own_path;                     // this process' cgroup (v2 path or v1 memory path)

  std::string VersionName() const;  // "1", "2" or "hybrid"
  // The mounted v1 hierarchy holding `controller`, or nullptr.
  const CgroupHierarchy* FindHierarchy(absl::string_view controller) const;
};

// From /proc/self/mountinfo and /proc/self/cgroup texts; exposed for tests.
absl::StatusOr<CgroupLayout> ParseCgroupLayout(const std::string& mountinfo,
                                               const std::string& proc_self_cgroup);

absl::StatusOr<CgroupLayout> DetectCgroupLayout();

// The directory of cgroup `cgroup_path` in a hierarchy mounted at `mountpoint` whose mount
// shows the hierarchy's `root` (not "/" for a bind mount of a subtree, as in some
// containers): the root prefix is dropped when the path starts with it.
std::string CgroupDirectory(absl::string_view mountpoint, absl::string_view root,
                            absl::string_view cgroup_path);

}  // namespace berth::oci
