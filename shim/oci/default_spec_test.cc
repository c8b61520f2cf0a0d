#include "shim/oci/default_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/status_matchers.h"
#include "shim/oci/spec_validate.h"

namespace berth::oci {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::IsOkAndHolds;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Not;

std::vector<std::string> NamespaceTypes(const Spec& spec) {
  std::vector<std::string> types;
  for (const Namespace& ns : spec.linux_config.namespaces) types.push_back(ns.type);
  return types;
}

const Mount* FindMount(const Spec& spec, absl::string_view destination) {
  for (const Mount& m : spec.mounts) {
    if (m.destination == destination) return &m;
  }
  return nullptr;
}

TEST(DefaultSpecTest, RoundTripsAndValidates) {
  for (bool rootless : {false, true}) {
    SCOPED_TRACE(rootless ? "rootless" : "rootful");
    Spec spec = DefaultSpec(rootless);
    EXPECT_THAT(ValidateSpec(spec), IsOk());
    EXPECT_THAT(ParseSpec(SerializeSpec(spec)), IsOkAndHolds(spec));
  }
}

TEST(DefaultSpecTest, MatchesRuncSpec) {
  Spec spec = DefaultSpec(false);
  EXPECT_EQ(spec.oci_version, kOciVersion);
  EXPECT_EQ(spec.root, (Root{"rootfs", true}));
  EXPECT_EQ(spec.hostname, "runc");
  ASSERT_TRUE(spec.process.has_value());
  const Process& p = *spec.process;
  EXPECT_TRUE(p.terminal);
  EXPECT_THAT(p.args, ElementsAre("sh"));
  EXPECT_THAT(p.env,
              ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "TERM=xterm"));
  EXPECT_EQ(p.cwd, "/");
  EXPECT_EQ(p.user, User{});
  EXPECT_TRUE(p.no_new_privileges);
  const auto caps = ElementsAre("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
  EXPECT_THAT(p.capabilities.bounding, caps);
  EXPECT_THAT(p.capabilities.effective, caps);
  EXPECT_THAT(p.capabilities.permitted, caps);
  EXPECT_THAT(p.capabilities.inheritable, IsEmpty());
  EXPECT_THAT(p.capabilities.ambient, IsEmpty());
  EXPECT_THAT(p.rlimits, ElementsAre(Rlimit{"RLIMIT_NOFILE", 1024, 1024}));

  EXPECT_THAT(
      spec.mounts,
      ElementsAre(Field(&Mount::destination, "/proc"), Field(&Mount::destination, "/dev"),
                  Field(&Mount::destination, "/dev/pts"), Field(&Mount::destination, "/dev/shm"),
                  Field(&Mount::destination, "/dev/mqueue"), Field(&Mount::destination, "/sys"),
                  Field(&Mount::destination, "/sys/fs/cgroup")));
  EXPECT_EQ(
      *FindMount(spec, "/dev"),
      (Mount{"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}}));
  EXPECT_THAT(FindMount(spec, "/dev/pts")->options, Contains("gid=5"));
  EXPECT_EQ(*FindMount(spec, "/sys"),
            (Mount{"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}}));

  const Linux& l = spec.linux_config;
  EXPECT_THAT(NamespaceTypes(spec), ElementsAre("pid", "network", "ipc", "uts", "mount", "cgroup"));
  EXPECT_THAT(l.uid_mappings, IsEmpty());
  EXPECT_THAT(l.masked_paths, Contains("/proc/kcore"));
  EXPECT_THAT(l.masked_paths, Contains("/sys/firmware"));
  EXPECT_EQ(l.masked_paths.size(), 11u);
  EXPECT_THAT(l.readonly_paths, ElementsAre("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                            "/proc/sysrq-trigger"));
  EXPECT_THAT(l.resources.devices,
              ElementsAre(DeviceRule{false, "", std::nullopt, std::nullopt, "rwm"}));
}

TEST(DefaultSpecTest, RootlessMatchesRuncSpecRootless) {
  Spec spec = DefaultSpec(true);
  const Linux& l = spec.linux_config;
  EXPECT_THAT(NamespaceTypes(spec), ElementsAre("pid", "ipc", "uts", "mount", "cgroup", "user"));
  EXPECT_THAT(l.uid_mappings, ElementsAre(IdMapping{0, ::geteuid(), 1}));
  EXPECT_THAT(l.gid_mappings, ElementsAre(IdMapping{0, ::getegid(), 1}));
  EXPECT_EQ(*FindMount(spec, "/sys"),
            (Mount{"/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}}));
  EXPECT_THAT(FindMount(spec, "/dev/pts")->options, Not(Contains("gid=5")));
  EXPECT_THAT(FindMount(spec, "/dev/pts")->options, Contains("ptmxmode=0666"));
  EXPECT_EQ(l.resources, Resources{});
  // Everything else is as rootful.
  Spec rootful = DefaultSpec(false);
  EXPECT_EQ(spec.process, rootful.process);
  EXPECT_EQ(spec.linux_config.masked_paths, rootful.linux_config.masked_paths);
  EXPECT_EQ(spec.mounts.size(), rootful.mounts.size());
}

}  // namespace
}  // namespace berth::oci
