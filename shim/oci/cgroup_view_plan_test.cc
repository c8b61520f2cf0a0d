#include "shim/oci/cgroup_view_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include <string>
#include <utility>
#include <vector>

#include "common/status_matchers.h"

namespace berth::oci {
namespace {

using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

// A v1 host as systemd lays it out: co-mounted controllers, a named hierarchy.
constexpr char kV1Mountinfo[] =
    "25 30 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
    "27 25 0:24 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
    "28 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "30 25 0:27 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
    "31 25 0:28 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";
constexpr char kV1Cgroup[] =
    "5:pids:/\n4:net_cls,net_prio:/\n3:cpu,cpuacct:/\n2:memory:/\n1:name=systemd:/\n";

// The same with the v2 tree beside the controllers.
constexpr char kUnifiedMount[] =
    "26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid shared:5 - cgroup2 cgroup2 rw\n";

CgroupLayout Layout(const std::string& mountinfo, const std::string& cgroup) {
  absl::StatusOr<CgroupLayout> layout = ParseCgroupLayout(mountinfo, cgroup);
  EXPECT_TRUE(layout.ok()) << layout.status();
  return layout.ok() ? *std::move(layout) : CgroupLayout{};
}

// A plan whose only step is a v1/hybrid "cgroup" mount's tmpfs.
RootfsPlan PlanWithCgroupMount() {
  RootfsPlan plan;
  MountStep step;
  step.destination = plan.Keep("/sys/fs/cgroup");
  step.cgroup_view = true;
  plan.mounts.push_back(step);
  return plan;
}

// Where CreateCgroup would put cgroup "/c1" in each hierarchy of `layout`.
std::vector<CgroupHierarchyDirectory> ContainerDirectories(const CgroupLayout& layout) {
  std::vector<CgroupHierarchyDirectory> directories;
  for (const CgroupHierarchy& h : layout.v1_hierarchies) {
    directories.push_back({h.mountpoint, h.mountpoint + "/c1"});
  }
  if (!layout.unified_mountpoint.empty()) {
    directories.push_back({layout.unified_mountpoint, layout.unified_mountpoint + "/c1"});
  }
  return directories;
}

std::vector<std::pair<std::string, std::string>> Binds(const RootfsPlan& plan) {
  std::vector<std::pair<std::string, std::string>> binds;
  for (const CgroupView::Bind& b : plan.cgroup_view.binds) binds.emplace_back(b.name, b.source);
  return binds;
}

std::vector<std::pair<std::string, std::string>> Links(const RootfsPlan& plan) {
  std::vector<std::pair<std::string, std::string>> links;
  for (const CgroupView::Link& l : plan.cgroup_view.links) links.emplace_back(l.name, l.target);
  return links;
}

TEST(CgroupViewPlanTest, V1HostBindsEachHierarchyAndLinksCoMountedControllers) {
  CgroupLayout layout = Layout(kV1Mountinfo, kV1Cgroup);
  ASSERT_EQ(layout.version, CgroupLayout::Version::kV1);
  RootfsPlan plan = PlanWithCgroupMount();
  BERTH_ASSERT_OK(PlanCgroupView(layout, ContainerDirectories(layout), plan));
  // name=systemd is left out: the container has no cgroup of its own there.
  EXPECT_THAT(Binds(plan),
              ElementsAre(Pair("memory", "/sys/fs/cgroup/memory/c1"),
                          Pair("cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/c1"),
                          Pair("net_cls,net_prio", "/sys/fs/cgroup/net_cls,net_prio/c1"),
                          Pair("pids", "/sys/fs/cgroup/pids/c1")));
  EXPECT_THAT(Links(plan), ElementsAre(Pair("cpu", "cpu,cpuacct"), Pair("cpuacct", "cpu,cpuacct"),
                                       Pair("net_cls", "net_cls,net_prio"),
                                       Pair("net_prio", "net_cls,net_prio")));
}

TEST(CgroupViewPlanTest, HybridHostAlsoBindsTheUnifiedTree) {
  CgroupLayout layout =
      Layout(std::string(kV1Mountinfo) + kUnifiedMount, std::string(kV1Cgroup) + "0::/\n");
  ASSERT_EQ(layout.version, CgroupLayout::Version::kHybrid);
  RootfsPlan plan = PlanWithCgroupMount();
  BERTH_ASSERT_OK(PlanCgroupView(layout, ContainerDirectories(layout), plan));
  ASSERT_EQ(plan.cgroup_view.binds.size(), 5u);
  EXPECT_THAT(Binds(plan).back(), Pair("unified", "/sys/fs/cgroup/unified/c1"));
  EXPECT_EQ(plan.cgroup_view.links.size(), 4u);
}

TEST(CgroupViewPlanTest, ControllersMountedApartNeedNoLinks) {
  CgroupLayout layout = Layout(
      "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
      "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n",
      "4:memory:/a/b\n2:cpuacct:/\n1:cpu:/\n");
  RootfsPlan plan = PlanWithCgroupMount();
  std::vector<CgroupHierarchyDirectory> directories = {
      {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu/c1"},
      {"/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpuacct/c1"},
      {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/a/b/c1"}};
  BERTH_ASSERT_OK(PlanCgroupView(layout, directories, plan));
  EXPECT_THAT(Binds(plan), ElementsAre(Pair("cpu", "/sys/fs/cgroup/cpu/c1"),
                                       Pair("cpuacct", "/sys/fs/cgroup/cpuacct/c1"),
                                       Pair("memory", "/sys/fs/cgroup/memory/a/b/c1")));
  EXPECT_THAT(Links(plan), IsEmpty());
}

TEST(CgroupViewPlanTest, CoMountedHierarchyUnderOneControllersNameLinksTheOthers) {
  CgroupLayout layout =
      Layout("29 25 0:26 / /cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct\n", "3:cpu,cpuacct:/\n");
  RootfsPlan plan = PlanWithCgroupMount();
  BERTH_ASSERT_OK(PlanCgroupView(layout, {{"/cgroup/cpu", "/cgroup/cpu/c1"}}, plan));
  EXPECT_THAT(Binds(plan), ElementsAre(Pair("cpu", "/cgroup/cpu/c1")));
  EXPECT_THAT(Links(plan), ElementsAre(Pair("cpuacct", "cpu")));
}

TEST(CgroupViewPlanTest, HierarchyWithoutTheContainersDirectoryFails) {
  CgroupLayout layout = Layout(kV1Mountinfo, kV1Cgroup);
  std::vector<CgroupHierarchyDirectory> directories = ContainerDirectories(layout);
  directories.pop_back();  // pids
  RootfsPlan plan = PlanWithCgroupMount();
  EXPECT_THAT(PlanCgroupView(layout, directories, plan),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("/sys/fs/cgroup/pids")));
}

TEST(CgroupViewPlanTest, NothingIsPlannedWithoutACgroupMount) {
  CgroupLayout layout = Layout(kV1Mountinfo, kV1Cgroup);
  RootfsPlan plan;
  BERTH_ASSERT_OK(PlanCgroupView(layout, ContainerDirectories(layout), plan));
  EXPECT_THAT(plan.cgroup_view.binds, IsEmpty());
  EXPECT_THAT(plan.cgroup_view.links, IsEmpty());
}

// PlanRootfs's half: on a v1 or hybrid host the mount is a writable tmpfs to be filled,
// "ro" deferred until it is; on a pure v2 host it stays a cgroup2 mount.
TEST(CgroupViewPlanTest, CgroupMountIsATmpfsMadeReadOnlyLaterOnV1Hosts) {
  Spec spec;
  spec.root.path = "/";
  spec.mounts = {{"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "ro"}}};
  absl::StatusOr<RootfsPlan> plan = PlanRootfs(spec, "/");
  BERTH_ASSERT_OK(plan);
  ASSERT_EQ(plan->mounts.size(), 1u);
  const MountStep& step = plan->mounts[0];
  struct statfs fs {};
  ASSERT_EQ(::statfs("/sys/fs/cgroup", &fs), 0);
  if (fs.f_type == CGROUP2_SUPER_MAGIC) {
    EXPECT_STREQ(step.fstype, "cgroup2");
    EXPECT_EQ(step.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
    EXPECT_FALSE(step.cgroup_view);
    return;
  }
  EXPECT_STREQ(step.fstype, "tmpfs");
  EXPECT_STREQ(step.data, "mode=755");
  EXPECT_EQ(step.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV));
  EXPECT_TRUE(step.cgroup_view);
  EXPECT_TRUE(step.cgroup_view_readonly);
}

}  // namespace
}  // namespace berth::oci
