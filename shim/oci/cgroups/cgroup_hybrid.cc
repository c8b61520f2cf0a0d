// Hybrid hosts: v1 controllers enforce the resources while the process is also placed in
// the v2 tree (usually /sys/fs/cgroup/unified), where systemd-style tools track it.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "shim/oci/cgroups/cgroup_fs.h"
#include "shim/oci/cgroups/cgroup_variants.h"

namespace berth::oci {
namespace {

class HybridCgroup final : public Cgroup {
 public:
  HybridCgroup(std::unique_ptr<Cgroup> v1, std::unique_ptr<Cgroup> v2, bool v1_freezer)
      : v1_(std::move(v1)), v2_(std::move(v2)), v1_freezer_(v1_freezer) {}

  std::string path() const override { return v1_->path(); }

  std::vector<CgroupHierarchyDirectory> HierarchyDirectories() const override {
    std::vector<CgroupHierarchyDirectory> dirs = v1_->HierarchyDirectories();
    for (CgroupHierarchyDirectory& dir : v2_->HierarchyDirectories()) {
      dirs.push_back(std::move(dir));
    }
    return dirs;
  }

  absl::Status AddProcess(pid_t pid) override {
    BERTH_RETURN_IF_ERROR(v1_->AddProcess(pid));
    return v2_->AddProcess(pid);
  }

  absl::Status Apply(const CgroupResources& resources) override { return v1_->Apply(resources); }

  // The v1 freezer when mounted, else the v2 tree's own (cgroup.freeze needs no controller).
  absl::Status Freeze() override { return Freezer().Freeze(); }
  absl::Status Thaw() override { return Freezer().Thaw(); }
  absl::StatusOr<FreezerState> State() override { return Freezer().State(); }

  absl::StatusOr<CgroupStats> Stats() override { return v1_->Stats(); }
  absl::StatusOr<UniqueFd> OomEventFd() override { return v1_->OomEventFd(); }
  absl::StatusOr<uint64_t> OomKillCount() override { return v1_->OomKillCount(); }
  std::vector<pid_t> Pids() override { return v1_->Pids(); }

  absl::Status Kill(int signal) override {
    // cgroup.kill works in the v2 tree without any controller.
    if (signal == SIGKILL && cgroupfs::Exists(v2_->Directories().front() + "/cgroup.kill")) {
      return v2_->Kill(signal);
    }
    return v1_->Kill(signal);
  }

  absl::Status Destroy() override {
    absl::Status v1 = v1_->Destroy();
    absl::Status v2 = v2_->Destroy();
    return v1.ok() ? v2 : v1;
  }

  void Release() override {
    v1_->Release();
    v2_->Release();
  }

 private:
  Cgroup& Freezer() { return v1_freezer_ ? *v1_ : *v2_; }

  std::unique_ptr<Cgroup> v1_;
  std::unique_ptr<Cgroup> v2_;
  bool v1_freezer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Cgroup>> MakeHybridCgroup(const CgroupLayout& layout,
                                                         const std::string& cleaned, bool create) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Cgroup> v1, MakeV1Cgroup(layout, cleaned, create));
  if (layout.unified_mountpoint.empty()) return v1;
  // When this fails, v1's destructor removes what it made.
  absl::StatusOr<std::unique_ptr<Cgroup>> v2 =
      MakeV2Cgroup(layout, cleaned, create, /*manage_controllers=*/false);
  // A cgroup made by a runtime that only used v1 is opened as v1 alone.
  if (!create && absl::IsNotFound(v2.status())) return v1;
  if (!v2.ok()) return v2.status();
  bool v1_freezer = layout.FindHierarchy("freezer") != nullptr;
  return std::make_unique<HybridCgroup>(std::move(v1), *std::move(v2), v1_freezer);
}

absl::StatusOr<std::unique_ptr<Cgroup>> MakeHybridScopeCgroup(const CgroupLayout& layout,
                                                              const std::string& scope_path,
                                                              ScopeDirectories directories) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Cgroup> v1,
                         MakeV1ScopeCgroup(layout, scope_path, directories));
  if (layout.unified_mountpoint.empty()) return v1;
  // systemd tracks the scope in the v2 tree too; made here only if it did not.
  absl::StatusOr<std::unique_ptr<Cgroup>> v2 =
      MakeV2Cgroup(layout, scope_path, /*create=*/false, /*manage_controllers=*/false);
  if (absl::IsNotFound(v2.status())) {
    if (directories == ScopeDirectories::kOpenExisting) return v1;
    v2 = MakeV2Cgroup(layout, scope_path, /*create=*/true, /*manage_controllers=*/false);
  }
  if (!v2.ok()) return v2.status();
  bool v1_freezer = layout.FindHierarchy("freezer") != nullptr;
  return std::make_unique<HybridCgroup>(std::move(v1), *std::move(v2), v1_freezer);
}

}  // namespace berth::oci
