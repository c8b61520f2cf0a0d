#include "shim/oci/capabilities.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/capability.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <utility>

#include "common/status_matchers.h"

namespace berth::oci {
namespace {

using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;

TEST(CapabilitiesTest, LastKnownIsTheHeadersLast) { EXPECT_EQ(kLastKnownCapability, CAP_LAST_CAP); }

TEST(CapabilitiesTest, EveryNumberMatchesTheKernelHeaders) {
#define BERTH_CAP(name) \
  { #name, name }
  const std::pair<const char*, int> header[] = {
      BERTH_CAP(CAP_CHOWN),
      BERTH_CAP(CAP_DAC_OVERRIDE),
      BERTH_CAP(CAP_DAC_READ_SEARCH),
      BERTH_CAP(CAP_FOWNER),
      BERTH_CAP(CAP_FSETID),
      BERTH_CAP(CAP_KILL),
      BERTH_CAP(CAP_SETGID),
      BERTH_CAP(CAP_SETUID),
      BERTH_CAP(CAP_SETPCAP),
      BERTH_CAP(CAP_LINUX_IMMUTABLE),
      BERTH_CAP(CAP_NET_BIND_SERVICE),
      BERTH_CAP(CAP_NET_BROADCAST),
      BERTH_CAP(CAP_NET_ADMIN),
      BERTH_CAP(CAP_NET_RAW),
      BERTH_CAP(CAP_IPC_LOCK),
      BERTH_CAP(CAP_IPC_OWNER),
      BERTH_CAP(CAP_SYS_MODULE),
      BERTH_CAP(CAP_SYS_RAWIO),
      BERTH_CAP(CAP_SYS_CHROOT),
      BERTH_CAP(CAP_SYS_PTRACE),
      BERTH_CAP(CAP_SYS_PACCT),
      BERTH_CAP(CAP_SYS_ADMIN),
      BERTH_CAP(CAP_SYS_BOOT),
      BERTH_CAP(CAP_SYS_NICE),
      BERTH_CAP(CAP_SYS_RESOURCE),
      BERTH_CAP(CAP_SYS_TIME),
      BERTH_CAP(CAP_SYS_TTY_CONFIG),
      BERTH_CAP(CAP_MKNOD),
      BERTH_CAP(CAP_LEASE),
      BERTH_CAP(CAP_AUDIT_WRITE),
      BERTH_CAP(CAP_AUDIT_CONTROL),
      BERTH_CAP(CAP_SETFCAP),
      BERTH_CAP(CAP_MAC_OVERRIDE),
      BERTH_CAP(CAP_MAC_ADMIN),
      BERTH_CAP(CAP_SYSLOG),
      BERTH_CAP(CAP_WAKE_ALARM),
      BERTH_CAP(CAP_BLOCK_SUSPEND),
      BERTH_CAP(CAP_AUDIT_READ),
      BERTH_CAP(CAP_PERFMON),
      BERTH_CAP(CAP_BPF),
      BERTH_CAP(CAP_CHECKPOINT_RESTORE),
  };
#undef BERTH_CAP
  ASSERT_EQ(std::size(header), 41u);
  for (const auto& [name, number] : header) {
    EXPECT_THAT(CapabilityNumber(name), IsOkAndHolds(number)) << name;
    EXPECT_EQ(CapabilityName(number), name);
  }
}

TEST(CapabilitiesTest, NamesAndNumbersAreABijection) {
  std::set<std::string> names;
  for (int i = 0; i <= kLastKnownCapability; ++i) {
    absl::string_view name = CapabilityName(i);
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_TRUE(names.insert(std::string(name)).second) << name;
    EXPECT_THAT(CapabilityNumber(name), IsOkAndHolds(i));
  }
  EXPECT_EQ(names.size(), 41u);
  EXPECT_EQ(CapabilityName(-1), "");
  EXPECT_EQ(CapabilityName(41), "");
}

TEST(CapabilitiesTest, UnknownNamesAreErrors) {
  EXPECT_THAT(CapabilityNumber("CAP_FOO"),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown capability \"CAP_FOO\""));
  // The runtime-spec spells them with the prefix, in capitals.
  EXPECT_FALSE(CapabilityNumber("chown").ok());
  EXPECT_FALSE(CapabilityNumber("cap_chown").ok());
  EXPECT_FALSE(CapabilityNumber("").ok());
}

TEST(CapabilitiesTest, Mask) {
  EXPECT_EQ(CapabilityMask({}), 0u);
  EXPECT_EQ(CapabilityMask({"CAP_CHOWN"}), 1u);
  EXPECT_EQ(CapabilityMask({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}),
            (uint64_t{1} << 29) | (uint64_t{1} << 5) | (uint64_t{1} << 10));
  EXPECT_EQ(CapabilityMask({"CAP_CHECKPOINT_RESTORE", "CAP_CHECKPOINT_RESTORE"}),
            uint64_t{1} << 40);
  EXPECT_EQ(CapabilityMask({"CAP_KILL", "CAP_NOPE"}), uint64_t{1} << 5);
}

TEST(CapabilitiesTest, LastSupportedFromTheKernel) {
  int last = LastSupportedCapability();
  // Every kernel berth runs on has CAP_AUDIT_READ (3.16).
  EXPECT_GE(last, CAP_AUDIT_READ);
  EXPECT_LE(last, 63);
}

TEST(CapabilitiesTest, LastSupportedFromAFile) {
  std::filesystem::path path = std::filesystem::path(::testing::TempDir()) / "oci_cap_last_cap";
  std::ofstream(path) << "37\n";
  EXPECT_EQ(LastSupportedCapability(path.string()), 37);
  std::ofstream(path) << "garbage\n";
  EXPECT_EQ(LastSupportedCapability(path.string()), kLastKnownCapability);
  std::ofstream(path) << "64\n";
  EXPECT_EQ(LastSupportedCapability(path.string()), kLastKnownCapability);
  std::filesystem::remove(path);
  EXPECT_EQ(LastSupportedCapability(path.string()), kLastKnownCapability);
}

}  // namespace
}  // namespace berth::oci
