#include "shim/oci/cgroups/systemd_unit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "common/status_matchers.h"
#include "shim/oci/cgroups/cgroup_variants.h"

namespace berth::oci {
namespace {

using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();

TEST(SystemdUnitTest, TellsTheSystemdFormFromPaths) {
  EXPECT_TRUE(IsSystemdCgroupsPath("system.slice:berth:abc"));
  EXPECT_TRUE(IsSystemdCgroupsPath(":berth:abc"));
  EXPECT_FALSE(IsSystemdCgroupsPath("/a:b:c"));  // absolute: a cgroupfs path
  EXPECT_FALSE(IsSystemdCgroupsPath("berth/abc"));
  EXPECT_FALSE(IsSystemdCgroupsPath("a:b"));
}

TEST(SystemdUnitTest, NamesTheScopeAndItsCgroup) {
  auto scope = ParseSystemdCgroupsPath("machine-pods.slice:berth:abc");
  ASSERT_TRUE(scope.ok()) << scope.status();
  EXPECT_EQ(scope->slice, "machine-pods.slice");
  EXPECT_EQ(scope->unit, "berth-abc.scope");
  EXPECT_EQ(scope->cgroup_path, "/machine.slice/machine-pods.slice/berth-abc.scope");

  scope = ParseSystemdCgroupsPath("::abc");  // runc's defaults: system.slice, no prefix
  ASSERT_TRUE(scope.ok()) << scope.status();
  EXPECT_EQ(scope->unit, "abc.scope");
  EXPECT_EQ(scope->cgroup_path, "/system.slice/abc.scope");

  scope = ParseSystemdCgroupsPath("-.slice:p:n");  // the root slice
  ASSERT_TRUE(scope.ok()) << scope.status();
  EXPECT_EQ(scope->cgroup_path, "/p-n.scope");
}

TEST(SystemdUnitTest, RefusesBadForms) {
  EXPECT_THAT(ParseSystemdCgroupsPath("system.slice:berth:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name is empty")));
  EXPECT_THAT(ParseSystemdCgroupsPath("system.slice:berth:a/b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'/'")));
  EXPECT_THAT(ParseSystemdCgroupsPath("system:berth:abc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a slice name")));
  EXPECT_THAT(ParseSystemdCgroupsPath("a--b.slice:berth:abc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty component")));
  EXPECT_THAT(ParseSystemdCgroupsPath("system.slice:berth:pod.slice"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scopes")));
}

TEST(SystemdUnitTest, ExpandsSlices) {
  EXPECT_THAT(ExpandSlice("a-b-c.slice"), IsOkAndHolds("/a.slice/a-b.slice/a-b-c.slice"));
  EXPECT_THAT(ExpandSlice("system.slice"), IsOkAndHolds("/system.slice"));
  EXPECT_THAT(ExpandSlice("-.slice"), IsOkAndHolds(""));
  EXPECT_THAT(ExpandSlice("-a.slice"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ExpandSlice(".slice"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SystemdUnitTest, CpusetListsBecomeBitmasks) {
  EXPECT_THAT(CpusetBitmask("0-3,6"), IsOkAndHolds(ElementsAre(0x4f)));
  EXPECT_THAT(CpusetBitmask("9"), IsOkAndHolds(ElementsAre(0x00, 0x02)));
  EXPECT_THAT(CpusetBitmask(""), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(CpusetBitmask("3-1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CpusetBitmask("a"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SystemdUnitTest, ResourcesBecomeTheUnitsProperties) {
  CgroupResources r;
  r.memory = CgroupMemory{};
  r.memory->limit = 64 << 20;
  r.memory->reservation = 32 << 20;
  r.memory->swap = 96 << 20;
  r.cpu = CgroupCpu{};
  r.cpu->shares = 1024;
  r.cpu->quota = 25000;
  r.cpu->period = 100000;
  r.cpu->cpus = "0";
  r.pids = CgroupPids{20};
  r.block_io = CgroupBlockIo{};
  r.block_io->weight = 500;
  EXPECT_THAT(SystemdResourceProperties(r),
              ElementsAre(UnitProperty{"MemoryMax", uint64_t{64 << 20}},
                          UnitProperty{"MemoryLow", uint64_t{32 << 20}},
                          UnitProperty{"MemorySwapMax", uint64_t{32 << 20}},  // swap alone
                          UnitProperty{"CPUWeight", CpuSharesToWeight(1024)},
                          UnitProperty{"CPUQuotaPeriodUSec", uint64_t{100000}},
                          UnitProperty{"CPUQuotaPerSecUSec", uint64_t{250000}},
                          UnitProperty{"AllowedCPUs", std::vector<uint8_t>{1}},
                          UnitProperty{"TasksMax", uint64_t{20}},
                          UnitProperty{"IOWeight", BlkioWeightToIoWeight(500)}));
}

TEST(SystemdUnitTest, UnlimitedValuesAreInfinity) {
  CgroupResources r;
  r.memory = CgroupMemory{};
  r.memory->limit = -1;
  r.cpu = CgroupCpu{};
  r.cpu->quota = -1;
  r.pids = CgroupPids{-1};
  EXPECT_THAT(
      SystemdResourceProperties(r),
      ElementsAre(UnitProperty{"MemoryMax", kInfinity}, UnitProperty{"MemorySwapMax", kInfinity},
                  UnitProperty{"CPUQuotaPerSecUSec", kInfinity},
                  UnitProperty{"TasksMax", kInfinity}));
  // A quota systemd cannot express exactly is rounded up, never down.
  r.cpu->quota = 12345;
  r.cpu->period = 100000;
  EXPECT_THAT(SystemdResourceProperties(r),
              Contains(UnitProperty{"CPUQuotaPerSecUSec", uint64_t{130000}}));
}

TEST(SystemdUnitTest, ScopeIsDelegatedAndHoldsTheProcess) {
  auto scope = ParseSystemdCgroupsPath("system.slice:berth:abc");
  ASSERT_TRUE(scope.ok());
  std::vector<UnitProperty> properties = SystemdScopeProperties(*scope, 1234, {});
  EXPECT_THAT(properties, Contains(UnitProperty{"Slice", std::string("system.slice")}));
  EXPECT_THAT(properties, Contains(UnitProperty{"PIDs", std::vector<uint32_t>{1234}}));
  EXPECT_THAT(properties, Contains(UnitProperty{"Delegate", true}));
  EXPECT_THAT(properties, Contains(UnitProperty{"DefaultDependencies", false}));
  EXPECT_THAT(properties, Not(Contains(::testing::Field(&UnitProperty::name, "MemoryMax"))));
}

TEST(SystemdUnitTest, DriverSaysWhatIsMissing) {
  SystemdConnector never = []() -> absl::StatusOr<std::unique_ptr<SystemdUnits>> {
    return absl::InternalError("must not connect");
  };
  CgroupLayout v2;
  v2.version = CgroupLayout::Version::kV2;
  v2.unified_mountpoint = "/sys/fs/cgroup";
  EXPECT_THAT(MakeSystemdCgroup(v2, "system.slice:berth:abc", true, never,
                                "/nonexistent/berth-test-marker"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("systemd is not running"),
                             HasSubstr("/nonexistent/berth-test-marker"))));
  // Nothing is asked of systemd before the first process (any existing path stands in
  // for /run/systemd/system).
  auto cgroup = MakeSystemdCgroup(v2, "system.slice:berth:abc", true, never, "/");
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  EXPECT_EQ((*cgroup)->path(), "/system.slice/berth-abc.scope");
  BERTH_EXPECT_OK((*cgroup)->Apply({}));
  BERTH_EXPECT_OK((*cgroup)->Destroy());
}

}  // namespace
}  // namespace berth::oci
