#include "shim/oci/cgroups/cgroup_layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::oci {
namespace {

using ::testing::ElementsAre;

constexpr char kHybridMountinfo[] =
    "25 30 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid shared:5 - cgroup2 cgroup2 rw\n"
    "27 25 0:24 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
    "28 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";

TEST(CgroupLayoutTest, HybridHasV1ControllersBesideUnifiedTree) {
  auto layout = ParseCgroupLayout(kHybridMountinfo,
                                  "4:memory:/system.slice/berthd.service\n"
                                  "3:cpu,cpuacct:/system.slice/berthd.service\n"
                                  "1:name=systemd:/system.slice/berthd.service\n"
                                  "0::/system.slice/berthd.service\n");
  BERTH_ASSERT_OK(layout);
  EXPECT_EQ(layout->VersionName(), "hybrid");
  EXPECT_EQ(layout->unified_mountpoint, "/sys/fs/cgroup/unified");
  EXPECT_THAT(layout->v1_controllers, ElementsAre("cpu", "cpuacct", "memory"));
  EXPECT_EQ(layout->own_path, "/system.slice/berthd.service");
  EXPECT_EQ(layout->unified_own_path, "/system.slice/berthd.service");
}

TEST(CgroupLayoutTest, HierarchiesKeepCoMountedControllersAndOwnPaths) {
  auto layout = ParseCgroupLayout(kHybridMountinfo,
                                  "4:memory:/mem/me\n"
                                  "3:cpu,cpuacct:/cpu/me\n"
                                  "1:name=systemd:/named\n"
                                  "0::/unified/me\n");
  BERTH_ASSERT_OK(layout);
  ASSERT_EQ(layout->v1_hierarchies.size(), 2u);  // name=systemd is skipped
  const CgroupHierarchy* cpuacct = layout->FindHierarchy("cpuacct");
  ASSERT_NE(cpuacct, nullptr);
  EXPECT_EQ(cpuacct, layout->FindHierarchy("cpu"));
  EXPECT_THAT(cpuacct->controllers, ElementsAre("cpu", "cpuacct"));
  EXPECT_EQ(cpuacct->mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(cpuacct->own_path, "/cpu/me");
  EXPECT_EQ(layout->FindHierarchy("memory")->own_path, "/mem/me");
  EXPECT_EQ(layout->FindHierarchy("pids"), nullptr);
  EXPECT_EQ(layout->own_path, "/mem/me");
  EXPECT_EQ(layout->unified_own_path, "/unified/me");
}

TEST(CgroupLayoutTest, BindMountedSubtreeDropsItsRoot) {
  auto layout = ParseCgroupLayout(
      "28 25 0:25 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n",
      "4:memory:/docker/abc\n");
  BERTH_ASSERT_OK(layout);
  const CgroupHierarchy* memory = layout->FindHierarchy("memory");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->root, "/docker/abc");
  EXPECT_EQ(CgroupDirectory(memory->mountpoint, memory->root, memory->own_path),
            "/sys/fs/cgroup/memory");
  EXPECT_EQ(CgroupDirectory(memory->mountpoint, memory->root, "/docker/abc/ctr"),
            "/sys/fs/cgroup/memory/ctr");
  EXPECT_EQ(CgroupDirectory("/sys/fs/cgroup", "/", "/a/b"), "/sys/fs/cgroup/a/b");
  EXPECT_EQ(CgroupDirectory("/sys/fs/cgroup", "/", "/"), "/sys/fs/cgroup");
}

TEST(CgroupLayoutTest, PureV2) {
  auto layout = ParseCgroupLayout(
      "30 1 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n",
      "0::/user.slice/session-1.scope\n");
  BERTH_ASSERT_OK(layout);
  EXPECT_EQ(layout->VersionName(), "2");
  EXPECT_EQ(layout->own_path, "/user.slice/session-1.scope");
}

TEST(CgroupLayoutTest, PureV1AndNone) {
  auto v1 = ParseCgroupLayout("28 25 0:25 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n",
                              "2:pids:/\n");
  BERTH_ASSERT_OK(v1);
  EXPECT_EQ(v1->VersionName(), "1");
  EXPECT_FALSE(ParseCgroupLayout("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n", "").ok());
}

TEST(CgroupLayoutTest, DetectsThisHost) { BERTH_EXPECT_OK(DetectCgroupLayout()); }

}  // namespace
}  // namespace berth::oci
