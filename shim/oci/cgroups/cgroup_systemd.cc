// The systemd cgroup driver: the container's cgroup is a transient scope unit that systemd
// makes (and removes); berth then manages the delegated cgroup through its files, as on
// cgroupfs. With v1 controllers (v1 or hybrid hosts) systemd makes the scope's directory
// only in the hierarchies it manages; berth makes it in the others, places the process
// there too, and removes those directories itself.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "shim/oci/cgroups/cgroup_variants.h"
#include "shim/oci/cgroups/systemd_dbus.h"
#include "shim/oci/cgroups/systemd_unit.h"

namespace berth::oci {
namespace {

class SystemdCgroup final : public Cgroup {
 public:
  SystemdCgroup(SystemdScope scope, CgroupLayout layout, SystemdConnector connect, bool owned)
      : scope_(std::move(scope)),
        layout_(std::move(layout)),
        connect_(std::move(connect)),
        owned_(owned) {}
  ~SystemdCgroup() override {
    if (owned_ && !destroyed_) (void)Destroy();
  }

  // An existing scope's cgroup; systemd removes it once its last process is gone, after
  // which the handle has no cgroup to manage but can still stop (forget) the unit.
  void Open() {
    if (auto fs = OpenScopeDirectory(ScopeDirectories::kOpenExisting); fs.ok()) {
      fs_ = *std::move(fs);
    }
    started_ = true;
  }

  std::string path() const override { return scope_.cgroup_path; }
  // Before the scope exists: where its directories will be.
  std::vector<CgroupHierarchyDirectory> HierarchyDirectories() const override {
    if (fs_) return fs_->HierarchyDirectories();
    std::vector<CgroupHierarchyDirectory> dirs;
    if (layout_.version != CgroupLayout::Version::kV2) {
      for (const CgroupHierarchy& h : layout_.v1_hierarchies) {
        dirs.push_back({h.mountpoint, CgroupDirectory(h.mountpoint, h.root, scope_.cgroup_path)});
      }
    }
    if (!layout_.unified_mountpoint.empty()) {
      dirs.push_back(
          {layout_.unified_mountpoint,
           CgroupDirectory(layout_.unified_mountpoint, layout_.unified_root, scope_.cgroup_path)});
    }
    return dirs;
  }

  // The first process starts the scope: systemd needs one to make it.
  absl::Status AddProcess(pid_t pid) override {
    if (started_) {
      BERTH_ASSIGN_OR_RETURN(Cgroup * fs, Fs());
      return fs->AddProcess(pid);
    }
    BERTH_ASSIGN_OR_RETURN(SystemdUnits * units, Units());
    BERTH_RETURN_IF_ERROR(
        units->StartTransientUnit(scope_.unit, SystemdScopeProperties(scope_, pid, resources_)));
    started_ = true;
    BERTH_ASSIGN_OR_RETURN(fs_, OpenScopeDirectory(ScopeDirectories::kAdopt));
    if (layout_.version != CgroupLayout::Version::kV2) {
      BERTH_RETURN_IF_ERROR(fs_->AddProcess(pid));  // the hierarchies systemd left alone
    }
    return fs_->Apply(resources_);
  }

  // Before the scope exists the resources wait for it (they go into its properties).
  absl::Status Apply(const CgroupResources& resources) override {
    if (!started_) {
      resources_ = resources;
      return absl::OkStatus();
    }
    BERTH_ASSIGN_OR_RETURN(Cgroup * fs, Fs());
    BERTH_ASSIGN_OR_RETURN(SystemdUnits * units, Units());
    BERTH_RETURN_IF_ERROR(
        units->SetUnitProperties(scope_.unit, SystemdResourceProperties(resources)));
    return fs->Apply(resources);
  }

  absl::Status Freeze() override {
    BERTH_ASSIGN_OR_RETURN(Cgroup * fs, Fs());
    return fs->Freeze();
  }
  absl::Status Thaw() override {
    BERTH_ASSIGN_OR_RETURN(Cgroup * fs, Fs());
    return fs->Thaw();
  }
  absl::StatusOr<FreezerState> State() override {
    BERTH_ASSIGN_OR_RETURN(Cgroup * fs, Fs());
    return fs->State();
  }
  absl::StatusOr<CgroupStats> Stats() override {
    BERTH_ASSIGN_OR_RETURN(Cgroup * fs, Fs());
    return fs->Stats();
  }
  absl::StatusOr<UniqueFd> OomEventFd() override {
    BERTH_ASSIGN_OR_RETURN(Cgroup * fs, Fs());
    return fs->OomEventFd();
  }
  absl::StatusOr<uint64_t> OomKillCount() override {
    BERTH_ASSIGN_OR_RETURN(Cgroup * fs, Fs());
    return fs->OomKillCount();
  }
  std::vector<pid_t> Pids() override { return fs_ ? fs_->Pids() : std::vector<pid_t>{}; }
  absl::Status Kill(int signal) override { return fs_ ? fs_->Kill(signal) : absl::OkStatus(); }

  // Stops the unit (systemd removes its cgroup), then removes what is left below it.
  absl::Status Destroy() override {
    if (destroyed_) return absl::OkStatus();
    if (started_) {
      BERTH_ASSIGN_OR_RETURN(SystemdUnits * units, Units());
      BERTH_RETURN_IF_ERROR(units->StopUnit(scope_.unit));
    }
    if (fs_) BERTH_RETURN_IF_ERROR(fs_->Destroy());
    destroyed_ = true;
    return absl::OkStatus();
  }

  void Release() override {
    owned_ = false;
    if (fs_) fs_->Release();  // with v1 controllers it owns the directories berth made
  }

 private:
  // On v2 the directory systemd made for the scope; systemd manages its controllers.
  // With v1 controllers, the scope's directory in every hierarchy (see ScopeDirectories).
  absl::StatusOr<std::unique_ptr<Cgroup>> OpenScopeDirectory(ScopeDirectories dirs) const {
    switch (layout_.version) {
      case CgroupLayout::Version::kV2:
        return MakeV2Cgroup(layout_, scope_.cgroup_path, /*create=*/false,
                            /*manage_controllers=*/false);
      case CgroupLayout::Version::kV1:
        return MakeV1ScopeCgroup(layout_, scope_.cgroup_path, dirs);
      case CgroupLayout::Version::kHybrid:
        return MakeHybridScopeCgroup(layout_, scope_.cgroup_path, dirs);
    }
    return absl::InternalError("unknown cgroup layout");
  }

  absl::StatusOr<Cgroup*> Fs() {
    if (fs_) return fs_.get();
    return absl::FailedPreconditionError(
        absl::StrCat("systemd unit ", scope_.unit, " has no cgroup (",
                     started_ ? "its processes are gone" : "not started yet", ")"));
  }

  absl::StatusOr<SystemdUnits*> Units() {
    if (!units_) {
      BERTH_ASSIGN_OR_RETURN(units_, connect_());
    }
    return units_.get();
  }

  SystemdScope scope_;
  CgroupLayout layout_;
  SystemdConnector connect_;
  std::unique_ptr<SystemdUnits> units_;  // connected on first need
  std::unique_ptr<Cgroup> fs_;           // the scope's cgroup, once systemd made it
  CgroupResources resources_;
  bool owned_;
  bool started_ = false;
  bool destroyed_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Cgroup>> MakeSystemdCgroup(const CgroupLayout& layout,
                                                          const std::string& cgroups_path,
                                                          bool create,
                                                          const SystemdConnector& connect,
                                                          const std::string& systemd_marker) {
  BERTH_ASSIGN_OR_RETURN(SystemdScope scope, ParseSystemdCgroupsPath(cgroups_path));
  if (create && !SystemdIsRunning(systemd_marker)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cgroups path \"", cgroups_path,
                     "\" is in the systemd form slice:prefix:name, but systemd is not running "
                     "(no ",
                     systemd_marker, "); use a cgroupfs path such as /berth/<id>"));
  }
  auto cgroup = std::make_unique<SystemdCgroup>(std::move(scope), layout, connect, create);
  if (!create) cgroup->Open();
  return cgroup;
}

}  // namespace berth::oci
