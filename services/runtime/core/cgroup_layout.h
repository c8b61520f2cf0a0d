// Which cgroup hierarchies the host mounts: v1, v2 (unified) or hybrid (v1
// controllers beside a v2 tree with few or none), and where this process sits.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::runtime {

struct CgroupLayout {
  enum class Version { kV1, kV2, kHybrid };
  Version version = Version::kV1;
  std::string unified_mountpoint;           // v2 tree, empty when none
  std::vector<std::string> v1_controllers;  // e.g. cpu, memory, pids (named ones excluded)
  std::string own_path;                     // this process' cgroup (v2 path or v1 memory path)

  std::string VersionName() const;  // "1", "2" or "hybrid"
};

// From /proc/self/mountinfo and /proc/self/cgroup texts; exposed for tests.
absl::StatusOr<CgroupLayout> ParseCgroupLayout(const std::string& mountinfo,
                                               const std::string& proc_self_cgroup);

absl::StatusOr<CgroupLayout> DetectCgroupLayout();

}  // namespace berth::runtime
