// Making, configuring and removing real cgroups with every implementation this host runs.
#include "shim/oci/cgroups/cgroup.h"

#include "absl/strings/match.h"
#include "shim/oci/cgroups/cgroup_path.h"
#include "shim/oci/cgroups/cgroup_test_fixture.h"

namespace berth::oci::testing {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::StatusIs;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr int64_t kMiB = 1024 * 1024;

TEST_P(CgroupTest, CreateMakesEveryDirectoryAndDestroyRemovesThem) {
  std::string name = NewName();
  auto cgroup = CreateCgroup(name, layout_);
  BERTH_ASSERT_OK(cgroup);
  for (const std::string& dir : ExpectedDirs(name)) EXPECT_TRUE(DirExists(dir)) << dir;
  EXPECT_THAT((*cgroup)->Directories(), ::testing::UnorderedElementsAreArray(ExpectedDirs(name)));
  EXPECT_EQ((*cgroup)->path(), NestCgroupPath(layout_.own_path, name));
  BERTH_EXPECT_OK((*cgroup)->Destroy());
  for (const std::string& dir : ExpectedDirs(name)) EXPECT_FALSE(DirExists(dir)) << dir;
  BERTH_EXPECT_OK((*cgroup)->Destroy());  // idempotent
}

TEST_P(CgroupTest, HierarchyDirectoriesPairEachDirectoryWithItsMountpoint) {
  std::string name = NewName();
  auto cgroup = CreateCgroup(name, layout_);
  BERTH_ASSERT_OK(cgroup);
  std::vector<std::string> expected_mountpoints;
  if (!v2()) {
    for (const CgroupHierarchy& h : layout_.v1_hierarchies) {
      expected_mountpoints.push_back(h.mountpoint);
    }
  }
  if (!layout_.unified_mountpoint.empty()) {
    expected_mountpoints.push_back(layout_.unified_mountpoint);
  }
  std::vector<std::string> mountpoints;
  for (const CgroupHierarchyDirectory& d : (*cgroup)->HierarchyDirectories()) {
    mountpoints.push_back(d.mountpoint);
    EXPECT_TRUE(absl::StartsWith(d.directory, d.mountpoint + "/")) << d.directory;
    EXPECT_TRUE(absl::EndsWith(d.directory, "/" + name)) << d.directory;
  }
  EXPECT_THAT(mountpoints, ::testing::UnorderedElementsAreArray(expected_mountpoints));
  EXPECT_THAT((*cgroup)->Directories(), ::testing::UnorderedElementsAreArray(ExpectedDirs(name)));
  BERTH_EXPECT_OK((*cgroup)->Destroy());
}

TEST_P(CgroupTest, DestructorRemovesUnlessReleased) {
  std::string dropped = NewName();
  BERTH_ASSERT_OK(CreateCgroup(dropped, layout_));  // the handle dies at once
  for (const std::string& dir : ExpectedDirs(dropped)) EXPECT_FALSE(DirExists(dir)) << dir;

  std::string kept = NewName();
  {
    auto cgroup = CreateCgroup(kept, layout_);
    BERTH_ASSERT_OK(cgroup);
    (*cgroup)->Release();
  }
  for (const std::string& dir : ExpectedDirs(kept)) EXPECT_TRUE(DirExists(dir)) << dir;
  auto opened = OpenCgroup(kept, layout_);
  BERTH_ASSERT_OK(opened);
  BERTH_EXPECT_OK((*opened)->Destroy());
  EXPECT_THAT(OpenCgroup(kept, layout_), StatusIs(absl::StatusCode::kNotFound, HasSubstr(kept)));
}

TEST_P(CgroupTest, ApplyWritesTheLimits) {
  std::string name = NewName();
  auto cgroup = CreateCgroup(name, layout_);
  BERTH_ASSERT_OK(cgroup);
  bool swap = DirExists(ControllerDir("memory", name)) &&
              access(Join(ControllerDir("memory", name),
                          v2() ? "memory.swap.max" : "memory.memsw.limit_in_bytes")
                         .c_str(),
                     F_OK) == 0;
  CgroupResources r;
  r.memory = CgroupMemory{64 * kMiB, 32 * kMiB, std::nullopt, std::nullopt, false, std::nullopt};
  if (swap) r.memory->swap = 128 * kMiB;
  r.cpu = CgroupCpu{512, 50000, 100000, "0", "0", std::nullopt, std::nullopt};
  r.pids = CgroupPids{64};
  BERTH_ASSERT_OK((*cgroup)->Apply(r));

  if (v2()) {
    EXPECT_EQ(Read("memory", name, "memory.max"), "67108864");
    EXPECT_EQ(Read("memory", name, "memory.low"), "33554432");
    if (swap) {
      EXPECT_EQ(Read("memory", name, "memory.swap.max"), "67108864");
    }
    EXPECT_EQ(Read("cpu", name, "cpu.weight"), absl::StrCat(CpuSharesToWeight(512)));
    EXPECT_EQ(Read("cpu", name, "cpu.max"), "50000 100000");
  } else {
    EXPECT_EQ(Read("memory", name, "memory.limit_in_bytes"), "67108864");
    EXPECT_EQ(Read("memory", name, "memory.soft_limit_in_bytes"), "33554432");
    if (swap) {
      EXPECT_EQ(Read("memory", name, "memory.memsw.limit_in_bytes"), "134217728");
    }
    EXPECT_EQ(Read("cpu", name, "cpu.shares"), "512");
    EXPECT_EQ(Read("cpu", name, "cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(Read("cpu", name, "cpu.cfs_period_us"), "100000");
  }
  EXPECT_EQ(Read("cpuset", name, "cpuset.cpus"), "0");
  EXPECT_EQ(Read("cpuset", name, "cpuset.mems"), "0");
  EXPECT_EQ(Read("pids", name, "pids.max"), "64");

  // A quota alone keeps the period; -1 lifts the quota.
  CgroupResources quota;
  quota.cpu = CgroupCpu{};
  quota.cpu->quota = -1;
  BERTH_ASSERT_OK((*cgroup)->Apply(quota));
  EXPECT_EQ(Read("cpu", name, v2() ? "cpu.max" : "cpu.cfs_quota_us"), v2() ? "max 100000" : "-1");

  auto stats = (*cgroup)->Stats();
  BERTH_ASSERT_OK(stats);
  EXPECT_THAT(stats->memory.limit, Optional(uint64_t{64 * kMiB}));
  EXPECT_THAT(stats->pids.limit, Optional(uint64_t{64}));
  BERTH_EXPECT_OK((*cgroup)->Destroy());
}

TEST_P(CgroupTest, VersionSpecificSettings) {
  std::string name = NewName();
  auto cgroup = CreateCgroup(name, layout_);
  BERTH_ASSERT_OK(cgroup);
  CgroupResources swappiness;
  swappiness.memory = CgroupMemory{};
  swappiness.memory->swappiness = 10;
  CgroupResources unified;
  unified.unified["pids.max"] = "7";
  CgroupResources oom_group;
  oom_group.memory = CgroupMemory{};
  oom_group.memory->oom_group = true;
  if (v2()) {
    EXPECT_THAT((*cgroup)->Apply(swappiness),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("swappiness")));
    BERTH_EXPECT_OK((*cgroup)->Apply(unified));
    EXPECT_EQ(Read("pids", name, "pids.max"), "7");
    BERTH_EXPECT_OK((*cgroup)->Apply(oom_group));
    EXPECT_EQ(Read("memory", name, "memory.oom.group"), "1");
    CgroupResources bad_key;
    bad_key.unified["../cgroup.procs"] = "1";
    EXPECT_THAT((*cgroup)->Apply(bad_key), StatusIs(absl::StatusCode::kInvalidArgument, _));
  } else {
    BERTH_EXPECT_OK((*cgroup)->Apply(swappiness));
    EXPECT_EQ(Read("memory", name, "memory.swappiness"), "10");
    EXPECT_THAT((*cgroup)->Apply(unified),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pids.max")));
    EXPECT_THAT((*cgroup)->Apply(oom_group),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("v2")));
  }
  BERTH_EXPECT_OK((*cgroup)->Destroy());
}

TEST_P(CgroupTest, DestroyAfterFailedApplyLeavesNothing) {
  std::string name = NewName();
  auto cgroup = CreateCgroup(name, layout_);
  BERTH_ASSERT_OK(cgroup);
  CgroupResources r;
  r.cpu = CgroupCpu{};
  r.cpu->cpus = "9999";
  absl::Status failed = (*cgroup)->Apply(r);
  EXPECT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.message()), HasSubstr("cpuset.cpus"));
  BERTH_EXPECT_OK((*cgroup)->Destroy());
}

TEST_P(CgroupTest, FailedCreateRemovesWhatItMade) {
  std::string name = NewName();
  std::vector<std::string> dirs = ExpectedDirs(name);
  ASSERT_EQ(mkdir(dirs.back().c_str(), 0755), 0) << dirs.back();  // someone else's cgroup
  EXPECT_THAT(CreateCgroup(name, layout_),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(dirs.back())));
  for (size_t i = 0; i + 1 < dirs.size(); ++i) EXPECT_FALSE(DirExists(dirs[i])) << dirs[i];
  EXPECT_TRUE(DirExists(dirs.back()));  // not ours to remove
  EXPECT_EQ(rmdir(dirs.back().c_str()), 0);
}

TEST_P(CgroupTest, NestedPathMakesAndRemovesItsParents) {
  std::string name = NewName();
  std::string nested = name + "/pod/ctr";
  auto cgroup = CreateCgroup(nested, layout_);
  BERTH_ASSERT_OK(cgroup);
  for (const std::string& dir : ExpectedDirs(nested)) EXPECT_TRUE(DirExists(dir)) << dir;
  // The controllers reach the leaf through the parents it made.
  CgroupResources r;
  r.pids = CgroupPids{5};
  BERTH_ASSERT_OK((*cgroup)->Apply(r));
  EXPECT_EQ(Read("pids", nested, "pids.max"), "5");
  BERTH_EXPECT_OK((*cgroup)->Destroy());
  for (const std::string& dir : ExpectedDirs(name)) EXPECT_FALSE(DirExists(dir)) << dir;
}

TEST_P(CgroupTest, AbsolutePathIsUsedAsIs) {
  std::string name = NewName();
  // Absolute, yet still below this test's own cgroup (where the layout has one).
  std::string absolute = Join(layout_.own_path.empty() ? "/" : layout_.own_path, name);
  auto cgroup = CreateCgroup(absolute, layout_);
  BERTH_ASSERT_OK(cgroup);
  EXPECT_EQ((*cgroup)->path(), absolute);
  for (const std::string& dir : ExpectedDirs(absolute)) EXPECT_TRUE(DirExists(dir)) << dir;
  BERTH_EXPECT_OK((*cgroup)->Destroy());
  for (const std::string& dir : ExpectedDirs(absolute)) EXPECT_FALSE(DirExists(dir)) << dir;
}

TEST_P(CgroupTest, RefusedPathsCreateNothing) {
  std::string name = NewName();
  EXPECT_THAT(CreateCgroup(name + "/../escape", layout_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("..")));
  EXPECT_THAT(CreateCgroup("system.slice:berth:" + name, layout_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("systemd")));
  EXPECT_THAT(CreateCgroup("", layout_), StatusIs(absl::StatusCode::kInvalidArgument, _));
}

INSTANTIATE_TEST_SUITE_P(Host, CgroupTest, ::testing::ValuesIn(HostVariants()),
                         [](const auto& info) { return info.param.name; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CgroupTest);

}  // namespace
}  // namespace berth::oci::testing
