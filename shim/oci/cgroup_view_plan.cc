#include "shim/oci/cgroup_view_plan.h"

#include <algorithm>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace berth::oci {
namespace {

// The last component of a hierarchy's mountpoint: the name the container sees it under.
absl::StatusOr<std::string> HierarchyName(absl::string_view mountpoint) {
  absl::string_view path = mountpoint;
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  absl::string_view name = slash == absl::string_view::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    return absl::FailedPreconditionError(
        absl::StrCat("the cgroup hierarchy mounted at ", mountpoint, " has no name to show"));
  }
  return std::string(name);
}

bool Contains(const std::vector<std::string>& names, absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

absl::Status PlanCgroupView(const CgroupLayout& layout,
                            const std::vector<CgroupHierarchyDirectory>& directories,
                            RootfsPlan& plan) {
  plan.cgroup_view = {};
  if (std::none_of(plan.mounts.begin(), plan.mounts.end(),
                   [](const MountStep& step) { return step.cgroup_view; })) {
    return absl::OkStatus();
  }
  std::vector<std::string> names;  // of the binds, in order
  auto add_bind = [&](const std::string& mountpoint) -> absl::Status {
    auto directory =
        std::find_if(directories.begin(), directories.end(),
                     [&](const CgroupHierarchyDirectory& d) { return d.mountpoint == mountpoint; });
    if (directory == directories.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the container's cgroup has no directory under ", mountpoint));
    }
    BERTH_ASSIGN_OR_RETURN(std::string name, HierarchyName(mountpoint));
    if (Contains(names, name)) {
      return absl::FailedPreconditionError(
          absl::StrCat("two cgroup hierarchies are mounted under the name ", name));
    }
    plan.cgroup_view.binds.push_back({plan.Keep(name), plan.Keep(directory->directory)});
    names.push_back(std::move(name));
    return absl::OkStatus();
  };
  // Named hierarchies (name=systemd) are not in the layout, so not in the view: the
  // runtime makes no cgroup of the container's in them, and the one the container is in
  // there is the runtime's own (often the hierarchy's root), not the container's to see.
  for (const CgroupHierarchy& hierarchy : layout.v1_hierarchies) {
    BERTH_RETURN_IF_ERROR(add_bind(hierarchy.mountpoint));
  }
  // The v2 tree beside v1 controllers ("unified" on a hybrid host).
  if (!layout.unified_mountpoint.empty()) {
    BERTH_RETURN_IF_ERROR(add_bind(layout.unified_mountpoint));
  }
  // "cpu" -> "cpu,cpuacct": each controller reachable under its own name, as on the host.
  std::vector<std::string> linked;
  for (size_t i = 0; i < layout.v1_hierarchies.size(); ++i) {
    for (const std::string& controller : layout.v1_hierarchies[i].controllers) {
      if (Contains(names, controller) || Contains(linked, controller)) continue;
      plan.cgroup_view.links.push_back({plan.Keep(controller), plan.Keep(names[i])});
      linked.push_back(controller);
    }
  }
  return absl::OkStatus();
}

}  // namespace berth::oci
