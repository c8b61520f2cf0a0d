#include "shim/oci/default_seccomp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/status_matchers.h"
#include "shim/oci/default_spec.h"
#include "shim/oci/spec_validate.h"

namespace berth::oci {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;

// The rules naming `name`.
std::vector<Syscall> RulesFor(const Seccomp& profile, const std::string& name) {
  std::vector<Syscall> rules;
  for (const Syscall& rule : profile.syscalls) {
    for (const std::string& n : rule.names) {
      if (n == name) rules.push_back(rule);
    }
  }
  return rules;
}

TEST(DockerDefaultSeccompTest, DeniesWithEpermByDefaultAndAllowsTheCommonCalls) {
  Seccomp profile = DockerDefaultSeccomp();
  EXPECT_EQ(profile.default_action, "SCMP_ACT_ERRNO");
  EXPECT_THAT(profile.default_errno_ret, Optional(1u));
  for (const char* name : {"read", "write", "execve", "openat", "getpid", "setresuid", "capset"}) {
    std::vector<Syscall> rules = RulesFor(profile, name);
    ASSERT_THAT(rules, SizeIs(1)) << name;
    EXPECT_EQ(rules[0].action, "SCMP_ACT_ALLOW") << name;
    EXPECT_THAT(rules[0].args, IsEmpty()) << name;
  }
#if defined(__x86_64__)
  EXPECT_EQ(profile.architectures,
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_THAT(RulesFor(profile, "arch_prctl"), SizeIs(1));
#endif
}

TEST(DockerDefaultSeccompTest, PersonalityOnlyForTheUsualPersonas) {
  std::vector<Syscall> rules = RulesFor(DockerDefaultSeccomp(), "personality");
  std::vector<uint64_t> personas;
  for (const Syscall& rule : rules) {
    ASSERT_THAT(rule.args, SizeIs(1));
    EXPECT_EQ(rule.args[0].op, "SCMP_CMP_EQ");
    personas.push_back(rule.args[0].value);
  }
  EXPECT_EQ(personas, (std::vector<uint64_t>{0x0, 0x8, 0x20000, 0x20008, 0xffffffff}));
}

TEST(DockerDefaultSeccompTest, NamespacesAndMountsNeedSysAdmin) {
  Seccomp plain = DockerDefaultSeccomp();
  EXPECT_THAT(RulesFor(plain, "mount"), IsEmpty());
  EXPECT_THAT(RulesFor(plain, "unshare"), IsEmpty());
  EXPECT_THAT(RulesFor(plain, "setns"), IsEmpty());
  std::vector<Syscall> clone = RulesFor(plain, "clone");
  ASSERT_THAT(clone, SizeIs(1));
  ASSERT_THAT(clone[0].args, SizeIs(1));
  EXPECT_EQ(clone[0].args[0].op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(clone[0].args[0].value_two, 0u);
  EXPECT_NE(clone[0].args[0].value & 0x10000000u, 0u);  // CLONE_NEWUSER is in the mask
  std::vector<Syscall> clone3 = RulesFor(plain, "clone3");
  ASSERT_THAT(clone3, SizeIs(1));
  EXPECT_EQ(clone3[0].action, "SCMP_ACT_ERRNO");
  EXPECT_THAT(clone3[0].errno_ret, Optional(38u));  // ENOSYS: libc falls back to clone

  std::vector<std::string> caps = DockerDefaultCapabilities();
  caps.push_back("CAP_SYS_ADMIN");
  Seccomp admin = DockerDefaultSeccomp(caps);
  EXPECT_THAT(RulesFor(admin, "mount"), SizeIs(1));
  EXPECT_THAT(RulesFor(admin, "unshare"), SizeIs(1));
  clone = RulesFor(admin, "clone");
  ASSERT_THAT(clone, SizeIs(1));
  EXPECT_THAT(clone[0].args, IsEmpty());
  clone3 = RulesFor(admin, "clone3");
  ASSERT_THAT(clone3, SizeIs(1));
  EXPECT_EQ(clone3[0].action, "SCMP_ACT_ALLOW");
}

TEST(DockerDefaultSeccompTest, CapabilityGroupsFollowTheCapabilities) {
  Seccomp plain = DockerDefaultSeccomp();
  EXPECT_THAT(RulesFor(plain, "chroot"), SizeIs(1));  // CAP_SYS_CHROOT is a default
  EXPECT_THAT(RulesFor(plain, "reboot"), IsEmpty());
  EXPECT_THAT(RulesFor(plain, "init_module"), IsEmpty());
  EXPECT_THAT(RulesFor(plain, "kcmp"), IsEmpty());

  Seccomp none = DockerDefaultSeccomp({});
  EXPECT_THAT(RulesFor(none, "chroot"), IsEmpty());

  Seccomp more = DockerDefaultSeccomp({"CAP_SYS_BOOT", "CAP_SYS_MODULE", "CAP_SYS_PTRACE"});
  EXPECT_THAT(RulesFor(more, "reboot"), SizeIs(1));
  EXPECT_THAT(RulesFor(more, "finit_module"), SizeIs(1));
  EXPECT_THAT(RulesFor(more, "kcmp"), SizeIs(1));
}

TEST(DockerDefaultSeccompTest, DocumentedCapabilitiesAreDockers) {
  EXPECT_THAT(DockerDefaultCapabilities(), SizeIs(14));
  EXPECT_THAT(DockerDefaultCapabilities(), Contains("CAP_NET_RAW"));
}

TEST(DockerDefaultSeccompTest, ASpecCarryingItIsValid) {
  Spec spec = DefaultSpec(/*rootless=*/false);
  spec.linux_config.seccomp = DockerDefaultSeccomp();
  BERTH_EXPECT_OK(ValidateSpec(spec));
}

}  // namespace
}  // namespace berth::oci
