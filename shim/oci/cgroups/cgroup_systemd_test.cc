// The systemd cgroup driver on hosts with v1 controllers, in real cgroups. No systemd can
// run over v1 controllers here (this host has none as its manager, the cgroup v2 guest has
// no v1 controllers), so a stand-in does to the cgroup tree what systemd does for a
// transient scope; everything berth does is real. On v2 hosts the driver is tested
// against a real systemd (tests/integration/berth_oci_systemd_test.cc).
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <memory>

#include "common/status_macros.h"
#include "shim/oci/cgroups/cgroup_fs.h"
#include "shim/oci/cgroups/cgroup_path.h"
#include "shim/oci/cgroups/cgroup_test_fixture.h"
#include "shim/oci/cgroups/cgroup_variants.h"
#include "shim/oci/cgroups/systemd_dbus.h"
#include "shim/oci/cgroups/systemd_unit.h"

namespace berth::oci::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// What the stand-in was asked, and the scopes it made, shared by every connection to it.
struct SystemdCalls {
  std::vector<std::string> started, stopped;
  std::map<std::string, std::string> scope_paths;  // unit -> its cgroup path
};

// systemd with Delegate=yes on a host with v1 controllers: the scope's directory, below
// its slice's, in the v2 tree (hybrid) and in the v1 hierarchies systemd manages — not
// cpuset, freezer and the others it leaves alone — with the unit's processes in it.
// Stopping the unit kills them and removes those directories.
class FakeSystemd final : public SystemdUnits {
 public:
  FakeSystemd(CgroupLayout layout, std::shared_ptr<SystemdCalls> calls)
      : layout_(std::move(layout)), calls_(std::move(calls)) {}

  absl::Status StartTransientUnit(const std::string& unit,
                                  const std::vector<UnitProperty>& properties) override {
    std::string slice;
    std::vector<uint32_t> pids;
    for (const UnitProperty& p : properties) {
      if (p.name == "Slice") slice = std::get<std::string>(p.value);
      if (p.name == "PIDs") pids = std::get<std::vector<uint32_t>>(p.value);
    }
    for (uint32_t pid : pids) {
      if (kill(static_cast<pid_t>(pid), 0) != 0) {
        return absl::NotFoundError(absl::StrCat("fake systemd: no process ", pid));
      }
    }
    calls_->started.push_back(unit);
    std::string scope_path = "/" + slice + "/" + unit;
    calls_->scope_paths[unit] = scope_path;
    for (const std::string& dir : ManagedDirs(layout_, scope_path)) {
      for (const std::string& d : {dir.substr(0, dir.rfind('/')), dir}) {
        if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) {
          return absl::ErrnoToStatus(errno, "fake systemd: mkdir " + d);
        }
      }
      for (uint32_t pid : pids) {
        BERTH_RETURN_IF_ERROR(cgroupfs::WriteFile(dir + "/cgroup.procs", std::to_string(pid)));
      }
    }
    return absl::OkStatus();
  }

  absl::Status SetUnitProperties(const std::string&, const std::vector<UnitProperty>&) override {
    return absl::OkStatus();
  }

  absl::Status StopUnit(const std::string& unit) override {
    calls_->stopped.push_back(unit);
    if (auto it = calls_->scope_paths.find(unit); it != calls_->scope_paths.end()) {
      ScopeEmptied(layout_, it->second);
    }
    return absl::OkStatus();
  }

  // What systemd does when the scope's last process is gone, or (after killing them) when
  // the unit stops: its directories go, and the slice's once empty.
  static void ScopeEmptied(const CgroupLayout& layout, const std::string& scope_path) {
    for (const std::string& dir : ManagedDirs(layout, scope_path)) {
      (void)cgroupfs::SignalAll(cgroupfs::ReadPidsRecursive(dir), SIGKILL);
      (void)cgroupfs::RemoveCgroupTree(dir);         // the test reaps its own children
      rmdir(dir.substr(0, dir.rfind('/')).c_str());  // fails while other scopes are in it
    }
  }

 private:
  // The directories systemd makes for a cgroup path.
  static std::vector<std::string> ManagedDirs(const CgroupLayout& layout, const std::string& path) {
    static const std::vector<std::string> kManaged = {"cpu",    "cpuacct", "blkio",
                                                      "memory", "devices", "pids"};
    std::vector<std::string> dirs;
    for (const CgroupHierarchy& h : layout.v1_hierarchies) {
      for (const std::string& c : h.controllers) {
        if (std::count(kManaged.begin(), kManaged.end(), c)) {
          dirs.push_back(CgroupDirectory(h.mountpoint, h.root, path));
          break;
        }
      }
    }
    if (!layout.unified_mountpoint.empty()) {
      dirs.push_back(CgroupDirectory(layout.unified_mountpoint, layout.unified_root, path));
    }
    return dirs;
  }

  CgroupLayout layout_;
  std::shared_ptr<SystemdCalls> calls_;
};

class SystemdScopeTest : public CgroupTest {
 protected:
  void SetUp() override {
    CgroupTest::SetUp();
    if (IsSkipped()) return;
    if (v2()) GTEST_SKIP() << "no v1 controllers here";
  }

  // "<slice>:berth:<name>" in a slice of this run's own, named without dashes (a dash
  // nests slices in systemd's naming). Its directories are checked by TearDown.
  std::string NewScope() {
    static int counter = 0;
    std::string slice = absl::StrCat("berthtest", getpid(), "x", ++counter, ".slice");
    names_.push_back("/" + slice);
    return absl::StrCat(slice, ":berth:c", counter);
  }

  absl::StatusOr<std::unique_ptr<Cgroup>> Scope(const std::string& cgroups_path, bool create) {
    SystemdConnector connect = [this]() -> absl::StatusOr<std::unique_ptr<SystemdUnits>> {
      return std::make_unique<FakeSystemd>(layout_, calls_);
    };
    // Any existing path stands in for /run/systemd/system.
    return MakeSystemdCgroup(layout_, cgroups_path, create, connect, "/");
  }

  std::shared_ptr<SystemdCalls> calls_ = std::make_shared<SystemdCalls>();
};

int Sleep() {
  execlp("sleep", "sleep", "1000", nullptr);
  return 127;
}

TEST_P(SystemdScopeTest, ScopeHasItsDirectoryAndLimitsInEveryHierarchyUntilDestroyed) {
  std::string cgroups_path = NewScope();
  auto cgroup = Scope(cgroups_path, /*create=*/true);
  BERTH_ASSERT_OK(cgroup);
  std::string scope = (*cgroup)->path();
  CgroupResources resources;
  resources.memory.emplace().limit = 64 * 1024 * 1024;
  resources.pids.emplace().limit = 20;
  resources.cpu.emplace().cpus = "0";
  BERTH_ASSERT_OK((*cgroup)->Apply(resources));
  EXPECT_THAT(calls_->started, IsEmpty());  // systemd needs the first process

  Child child(Sleep);
  BERTH_ASSERT_OK((*cgroup)->AddProcess(child.pid()));
  child.Go();
  std::string name = cgroups_path.substr(cgroups_path.rfind(':') + 1);
  EXPECT_THAT(calls_->started, ElementsAre("berth-" + name + ".scope"));
  // In every hierarchy, those systemd made the directory in and those berth did.
  for (const std::string& dir : ExpectedDirs(scope)) {
    EXPECT_THAT(ReadText(dir + "/cgroup.procs"), ::testing::HasSubstr(std::to_string(child.pid())))
        << dir;
  }
  EXPECT_EQ(Read("memory", scope, "memory.limit_in_bytes"), "67108864");
  if (layout_.FindHierarchy("pids")) {
    EXPECT_EQ(Read("pids", scope, "pids.max"), "20");
  }
  if (layout_.FindHierarchy("cpuset")) {
    EXPECT_EQ(Read("cpuset", scope, "cpuset.cpus"), "0");
  }
  EXPECT_THAT((*cgroup)->Pids(), Contains(child.pid()));
  if (layout_.FindHierarchy("freezer")) {
    BERTH_EXPECT_OK((*cgroup)->Freeze());
    EXPECT_EQ(Read("freezer", scope, "freezer.state"), "FROZEN");
    BERTH_EXPECT_OK((*cgroup)->Thaw());
  }

  // A later command opens the same scope.
  auto opened = Scope(cgroups_path, /*create=*/false);
  BERTH_ASSERT_OK(opened);
  EXPECT_THAT((*opened)->Pids(), Contains(child.pid()));
  BERTH_EXPECT_OK((*opened)->Destroy());
  EXPECT_EQ(calls_->stopped, calls_->started);
  for (const std::string& dir : ExpectedDirs(scope)) EXPECT_FALSE(DirExists(dir)) << dir;
  EXPECT_TRUE(WIFSIGNALED(child.Wait()));
}

TEST_P(SystemdScopeTest, WhatSystemdLeavesWhenTheScopeEmptiesIsRemovedByDelete) {
  std::string cgroups_path = NewScope();
  std::string scope;
  {
    auto cgroup = Scope(cgroups_path, /*create=*/true);
    BERTH_ASSERT_OK(cgroup);
    scope = (*cgroup)->path();
    Child child(Sleep);
    BERTH_ASSERT_OK((*cgroup)->AddProcess(child.pid()));
    child.Go();
    (*cgroup)->Release();  // `create` ends; the container lives on
  }                        // the child is killed: the scope empties
  FakeSystemd::ScopeEmptied(layout_, scope);
  // Left: the directories berth made (cpuset, freezer…).
  std::vector<std::string> left;
  for (const std::string& dir : ExpectedDirs(scope)) {
    if (DirExists(dir)) left.push_back(dir);
  }
  if (left.empty()) GTEST_SKIP() << "systemd manages every hierarchy mounted here";

  auto opened = Scope(cgroups_path, /*create=*/false);
  BERTH_ASSERT_OK(opened);
  BERTH_EXPECT_OK((*opened)->Destroy());
  for (const std::string& dir : left) EXPECT_FALSE(DirExists(dir)) << dir;
}

TEST_P(SystemdScopeTest, AFailedStartLeavesNothing) {
  std::string cgroups_path = NewScope();
  auto cgroup = Scope(cgroups_path, /*create=*/true);
  BERTH_ASSERT_OK(cgroup);
  std::string scope = (*cgroup)->path();
  EXPECT_FALSE((*cgroup)->AddProcess(999999999).ok());  // no such process
  BERTH_EXPECT_OK((*cgroup)->Destroy());
  for (const std::string& dir : ExpectedDirs(scope)) EXPECT_FALSE(DirExists(dir)) << dir;
}

INSTANTIATE_TEST_SUITE_P(Host, SystemdScopeTest, ::testing::ValuesIn(HostVariants()),
                         [](const auto& info) { return info.param.name; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SystemdScopeTest);

}  // namespace
}  // namespace berth::oci::testing
