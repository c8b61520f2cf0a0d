// The Cgroup implementations, one per file; CreateCgroup and OpenCgroup pick one.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "shim/oci/cgroups/cgroup.h"
#include "shim/oci/cgroups/cgroup_layout.h"
#include "shim/oci/cgroups/systemd_dbus.h"

namespace berth::oci {

// `cleaned` comes from CleanCgroupsPath. With `create` the directories are made (the leaf
// must not exist) and owned; without, they must exist and are not owned.

// One directory per mounted v1 hierarchy (cgroup_v1.cc).
absl::StatusOr<std::unique_ptr<Cgroup>> MakeV1Cgroup(const CgroupLayout& layout,
                                                     const std::string& cleaned, bool create);

// One directory in the unified tree (cgroup_v2.cc). With `manage_controllers` the
// available controllers are enabled in the ancestors' cgroup.subtree_control; without,
// the cgroup only tracks processes (the v2 half of a hybrid cgroup).
absl::StatusOr<std::unique_ptr<Cgroup>> MakeV2Cgroup(const CgroupLayout& layout,
                                                     const std::string& cleaned, bool create,
                                                     bool manage_controllers);

// v1 controllers for resources plus the v2 tree for tracking (cgroup_hybrid.cc).
absl::StatusOr<std::unique_ptr<Cgroup>> MakeHybridCgroup(const CgroupLayout& layout,
                                                         const std::string& cleaned, bool create);

// A systemd scope's cgroup on a host with v1 controllers. systemd makes the scope's
// directory only in the hierarchies it manages (memory, pids, cpu…, and the v2 tree on a
// hybrid host); kAdopt takes those and makes the missing ones (cpuset, freezer…), and
// the handle owns them all. kOpenExisting opens whichever are left (NotFound when none).
enum class ScopeDirectories { kAdopt, kOpenExisting };
absl::StatusOr<std::unique_ptr<Cgroup>> MakeV1ScopeCgroup(const CgroupLayout& layout,
                                                          const std::string& scope_path,
                                                          ScopeDirectories directories);
absl::StatusOr<std::unique_ptr<Cgroup>> MakeHybridScopeCgroup(const CgroupLayout& layout,
                                                              const std::string& scope_path,
                                                              ScopeDirectories directories);

// A transient systemd scope named by "slice:prefix:name" (cgroup_systemd.cc): made when
// its first process is added, stopped by Destroy(). Needs systemd (`systemd_marker`) to
// create one.
absl::StatusOr<std::unique_ptr<Cgroup>> MakeSystemdCgroup(
    const CgroupLayout& layout, const std::string& cgroups_path, bool create,
    const SystemdConnector& connect, const std::string& systemd_marker = "/run/systemd/system");

}  // namespace berth::oci
