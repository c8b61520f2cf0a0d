#include "shim/oci/cgroups/cgroup.h"

#include "common/status_macros.h"
#include "shim/oci/cgroups/cgroup_fs.h"
#include "shim/oci/cgroups/cgroup_path.h"
#include "shim/oci/cgroups/cgroup_variants.h"
#include "shim/oci/cgroups/systemd_unit.h"

namespace berth::oci {
namespace {

absl::StatusOr<std::unique_ptr<Cgroup>> Make(const std::string& cgroups_path,
                                             const CgroupLayout& layout, bool create) {
  if (IsSystemdCgroupsPath(cgroups_path)) {
    return MakeSystemdCgroup(layout, cgroups_path, create, [] { return ConnectToSystemd(); });
  }
  BERTH_ASSIGN_OR_RETURN(std::string cleaned, CleanCgroupsPath(cgroups_path));
  switch (layout.version) {
    case CgroupLayout::Version::kV1:
      return MakeV1Cgroup(layout, cleaned, create);
    case CgroupLayout::Version::kV2:
      return MakeV2Cgroup(layout, cleaned, create, /*manage_controllers=*/true);
    case CgroupLayout::Version::kHybrid:
      return MakeHybridCgroup(layout, cleaned, create);
  }
  return absl::InternalError("unknown cgroup layout");
}

}  // namespace

absl::string_view FreezerStateName(FreezerState state) {
  switch (state) {
    case FreezerState::kThawed:
      return "thawed";
    case FreezerState::kFreezing:
      return "freezing";
    case FreezerState::kFrozen:
      return "frozen";
  }
  return "thawed";
}

std::vector<std::string> Cgroup::Directories() const {
  std::vector<std::string> directories;
  for (CgroupHierarchyDirectory& d : HierarchyDirectories()) {
    directories.push_back(std::move(d.directory));
  }
  return directories;
}

absl::StatusOr<std::unique_ptr<Cgroup>> CreateCgroup(const std::string& cgroups_path,
                                                     const CgroupLayout& layout) {
  return Make(cgroups_path, layout, /*create=*/true);
}

absl::StatusOr<std::unique_ptr<Cgroup>> OpenCgroup(const std::string& cgroups_path,
                                                   const CgroupLayout& layout) {
  return Make(cgroups_path, layout, /*create=*/false);
}

absl::Status SignalAllProcesses(Cgroup& cgroup, int signal, bool freeze) {
  if (freeze) BERTH_RETURN_IF_ERROR(cgroup.Freeze());
  absl::Status sent = cgroupfs::SignalAll(cgroup.Pids(), signal);
  if (freeze) {
    absl::Status thawed = cgroup.Thaw();
    if (sent.ok()) sent = thawed;
  }
  return sent;
}

}  // namespace berth::oci
