// The binds and links a "cgroup" mount shows on a v1 or hybrid host. They name the
// container's own cgroup directories, so they are planned once its cgroup exists, after
// PlanRootfs.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "shim/oci/cgroups/cgroup.h"
#include "shim/oci/cgroups/cgroup_layout.h"
#include "shim/oci/rootfs_plan.h"

namespace berth::oci {

// Fills plan.cgroup_view when a mount step has cgroup_view: for each v1 hierarchy of
// `layout` (and on a hybrid host its v2 tree) a bind of the container's directory there,
// from `directories` (Cgroup::HierarchyDirectories), onto the hierarchy's mountpoint name;
// and for each controller co-mounted under another name, a link to that name. Fails when
// the cgroup has no directory in one of the hierarchies.
absl::Status PlanCgroupView(const CgroupLayout& layout,
                            const std::vector<CgroupHierarchyDirectory>& directories,
                            RootfsPlan& plan);

}  // namespace berth::oci
