#include "shim/oci/spec_validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::oci {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// A valid spec with a process and new pid, mount, uts and ipc namespaces.
Spec Base() {
  Spec s;
  s.oci_version = "1.2.0";
  s.root.path = "rootfs";
  Process& p = s.process.emplace();
  p.args = {"sh"};
  p.cwd = "/";
  for (const char* type : {"pid", "mount", "uts", "ipc"}) {
    s.linux_config.namespaces.push_back({type, ""});
  }
  return s;
}

void AddUserNamespace(Spec& s, const std::string& path = "") {
  s.linux_config.namespaces.push_back({"user", path});
  if (path.empty()) {
    s.linux_config.uid_mappings = {{0, 100000, 65536}};
    s.linux_config.gid_mappings = {{0, 100000, 65536}};
  }
}

TEST(SpecValidateTest, BaseIsValid) {
  EXPECT_THAT(ValidateSpec(Base()), IsOk());
  Spec s = Base();
  AddUserNamespace(s);
  EXPECT_THAT(ValidateSpec(s), IsOk());
}

TEST(SpecValidateTest, RequiredTopLevel) {
  Spec s = Base();
  s.oci_version.clear();
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, "ociVersion: is required"));
  s = Base();
  s.root.path.clear();
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, "root.path: is required"));
}

TEST(SpecValidateTest, UserIdsAboveInt32MaxAreRejected) {
  Spec s = Base();
  s.process->user.uid = kMaxId;
  s.process->user.gid = kMaxId;
  EXPECT_THAT(ValidateSpec(s), IsOk());
  s.process->user.uid = 4294967295u;
  EXPECT_THAT(ValidateSpec(s),
              StatusIs(kInvalid,
                       "process.user.uid: must be an integer in 0..2147483647, got "
                       "4294967295"));
  s = Base();
  s.process->user.gid = 2147483648u;
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("process.user.gid: must be an integer "
                                                            "in 0..2147483647, got 2147483648")));
  s = Base();
  s.process->user.additional_gids = {10, 3000000000u};
  EXPECT_THAT(ValidateSpec(s),
              StatusIs(kInvalid, HasSubstr("process.user.additionalGids[1]: must be an integer")));
}

TEST(SpecValidateTest, UidFromJsonNamesConfigAndPath) {
  EXPECT_THAT(ParseSpec(R"({"ociVersion": "1.2.0", "root": {"path": "r"},
                            "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 4294967295}}})"),
              StatusIs(kInvalid,
                       "config.json: process.user.uid: must be an integer in "
                       "0..2147483647, got 4294967295"));
}

TEST(SpecValidateTest, MappingIdsAboveInt32MaxAreRejected) {
  Spec s = Base();
  AddUserNamespace(s);
  s.linux_config.uid_mappings[0].host_id = 2147483648u;
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.uidMappings[0].hostID: must be "
                                                            "an integer in 0..2147483647")));
  s = Base();
  AddUserNamespace(s);
  s.linux_config.gid_mappings.push_back({4294967295u, 200000, 1});
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.gidMappings[1].containerID")));
}

TEST(SpecValidateTest, MappingSizesMustFit) {
  Spec s = Base();
  AddUserNamespace(s);
  s.linux_config.uid_mappings[0].size = 0;
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.uidMappings[0].size")));
  s.linux_config.uid_mappings[0] = {0, 0, 4294967295u};  // everything but (uid_t)-1: allowed
  EXPECT_THAT(ValidateSpec(s), IsOk());
  s.linux_config.uid_mappings[0] = {1, 0, 4294967295u};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.uidMappings[0].size")));
}

TEST(SpecValidateTest, UnknownNamespaceType) {
  EXPECT_THAT(
      ParseSpec(R"({"ociVersion": "1.2.0", "root": {"path": "r"},
      "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "pidd"}]}})"),
      StatusIs(kInvalid, "config.json: linux.namespaces[2].type: unknown namespace \"pidd\""));
}

TEST(SpecValidateTest, DuplicateNamespaceTypes) {
  Spec s = Base();
  s.linux_config.namespaces.push_back({"pid", "/proc/1/ns/pid"});
  EXPECT_THAT(ValidateSpec(s),
              StatusIs(kInvalid,
                       "linux.namespaces[4].type: duplicate namespace \"pid\" (also "
                       "linux.namespaces[0])"));
}

TEST(SpecValidateTest, NamespacePathMustBeAbsolute) {
  Spec s = Base();
  s.linux_config.namespaces.push_back({"network", "run/netns/x"});
  EXPECT_THAT(ValidateSpec(s),
              StatusIs(kInvalid,
                       "linux.namespaces[4].path: must be an absolute path, got \"run/netns/x\""));
  s.linux_config.namespaces.back().path = "/run/netns/x";
  EXPECT_THAT(ValidateSpec(s), IsOk());
}

TEST(SpecValidateTest, MountDestinationMustBeAbsolute) {
  Spec s = Base();
  s.mounts = {{"/proc", "proc", "proc", {}}, {"tmp", "tmpfs", "tmpfs", {}}};
  EXPECT_THAT(ValidateSpec(s),
              StatusIs(kInvalid,
                       "mounts[1].destination: must be an absolute path, got \"tmp\" "
                       "(relative destinations, which runc accepts from old specs, are "
                       "not)"));
  s.mounts[1].destination = "";
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("mounts[1].destination")));
}

TEST(SpecValidateTest, MountOptionsAreChecked) {
  Spec s = Base();
  s.mounts = {{"/tmp", "tmpfs", "tmpfs", {"nosuid", "tmpcopyup"}}};
  EXPECT_THAT(ValidateSpec(s),
              StatusIs(absl::StatusCode::kUnimplemented,
                       "mounts[0].options: mount option \"tmpcopyup\" is not supported yet"));
}

TEST(SpecValidateTest, RootfsPropagation) {
  Spec s = Base();
  for (const char* mode : {"shared", "slave", "private", "unbindable", "rshared", "rslave",
                           "rprivate", "runbindable", ""}) {
    s.linux_config.rootfs_propagation = mode;
    EXPECT_THAT(ValidateSpec(s), IsOk()) << mode;
  }
  s.linux_config.rootfs_propagation = "recursive";
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid,
                                        "linux.rootfsPropagation: unknown rootfs "
                                        "propagation \"recursive\""));
}

TEST(SpecValidateTest, UserNamespacePathWithMappingsIsRejected) {
  Spec s = Base();
  AddUserNamespace(s, "/proc/42/ns/user");
  EXPECT_THAT(ValidateSpec(s), IsOk());
  s.linux_config.uid_mappings = {{0, 100000, 65536}};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid,
                                        "linux.uidMappings: must be empty when joining the user "
                                        "namespace at linux.namespaces[4].path"));
}

TEST(SpecValidateTest, UserNamespaceMappingRules) {
  Spec s = Base();
  s.linux_config.uid_mappings = {{0, 100000, 65536}};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("no user namespace")));
  s = Base();
  s.linux_config.namespaces.push_back({"user", ""});
  s.linux_config.uid_mappings = {{0, 100000, 65536}};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid,
                                        "linux.gidMappings: a new user namespace needs both "
                                        "uidMappings and gidMappings"));
}

TEST(SpecValidateTest, Capabilities) {
  Spec s = Base();
  s.process->capabilities.bounding = {"CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"};
  EXPECT_THAT(ValidateSpec(s), IsOk());
  s.process->capabilities.ambient = {"CAP_KILL", "CAP_EVERYTHING"};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid,
                                        "process.capabilities.ambient[1]: unknown "
                                        "capability \"CAP_EVERYTHING\""));
}

TEST(SpecValidateTest, Rlimits) {
  Spec s = Base();
  s.process->rlimits = {{"RLIMIT_NOFILE", 1024, 1024}, {"RLIMIT_NPROC", 10, 5}};
  EXPECT_THAT(ValidateSpec(s), IsOk());
  s.process->rlimits.push_back({"RLIMIT_FILES", 1, 1});
  EXPECT_THAT(ValidateSpec(s),
              StatusIs(kInvalid, "process.rlimits[2].type: unknown rlimit \"RLIMIT_FILES\""));
  s.process->rlimits[2] = {"RLIMIT_NOFILE", 1, 1};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("duplicate rlimit \"RLIMIT_NOFILE\"")));
  s.process->rlimits.pop_back();
  s.process->rlimits[1].soft = 11;
  EXPECT_THAT(ValidateSpec(s),
              StatusIs(kInvalid, "process.rlimits[1]: soft limit 11 is above hard limit 10"));
}

TEST(SpecValidateTest, ProcessRanges) {
  Spec s = Base();
  s.process->oom_score_adj = 1001;
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("process.oomScoreAdj")));
  s = Base();
  s.process->user.umask = 01000;
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("process.user.umask")));
}

TEST(SpecValidateTest, Hooks) {
  Spec s = Base();
  s.hooks.poststop = {{"/bin/ok", {}, {}, 1}, {"bin/rel", {}, {}, std::nullopt}};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("hooks.poststop[1].path: must be an "
                                                            "absolute path")));
  s.hooks.poststop[1].path = "/bin/abs";
  s.hooks.poststop[1].timeout = 0;
  EXPECT_THAT(ValidateSpec(s),
              StatusIs(kInvalid, "hooks.poststop[1].timeout: must be greater than zero, got 0"));
}

TEST(SpecValidateTest, Seccomp) {
  Spec s = Base();
  Seccomp& sc = s.linux_config.seccomp.emplace();
  sc.default_action = "SCMP_ACT_ERRNO";
  sc.default_errno_ret = 1;
  sc.architectures = {"SCMP_ARCH_X86_64"};
  sc.syscalls = {{{"mount"}, "SCMP_ACT_ERRNO", 38, {{0, 1, 0, "SCMP_CMP_EQ"}}}};
  EXPECT_THAT(ValidateSpec(s), IsOk());

  Spec bad = s;
  bad.linux_config.seccomp->default_action = "SCMP_ACT_MAYBE";
  EXPECT_THAT(ValidateSpec(bad), StatusIs(kInvalid,
                                          "linux.seccomp.defaultAction: unknown seccomp "
                                          "action \"SCMP_ACT_MAYBE\""));
  bad = s;
  bad.linux_config.seccomp->architectures.push_back("SCMP_ARCH_Z80");
  EXPECT_THAT(ValidateSpec(bad), StatusIs(kInvalid, HasSubstr("linux.seccomp.architectures[1]")));
  bad = s;
  bad.linux_config.seccomp->flags = {"SECCOMP_FILTER_FLAG_NOPE"};
  EXPECT_THAT(ValidateSpec(bad), StatusIs(kInvalid, HasSubstr("linux.seccomp.flags[0]")));
  bad = s;
  bad.linux_config.seccomp->syscalls[0].args[0].op = "SCMP_CMP_ABOUT";
  EXPECT_THAT(ValidateSpec(bad), StatusIs(kInvalid,
                                          "linux.seccomp.syscalls[0].args[0].op: "
                                          "unknown seccomp operator \"SCMP_CMP_ABOUT\""));
  bad = s;
  bad.linux_config.seccomp->syscalls[0].args[0].index = 6;
  EXPECT_THAT(ValidateSpec(bad), StatusIs(kInvalid, HasSubstr("args[0].index")));
  bad = s;
  bad.linux_config.seccomp->syscalls[0].action = "SCMP_ACT_ALLOW";
  EXPECT_THAT(ValidateSpec(bad),
              StatusIs(kInvalid, HasSubstr("syscalls[0].errnoRet: applies only")));
  bad = s;
  bad.linux_config.seccomp->syscalls[0].names.clear();
  EXPECT_THAT(ValidateSpec(bad), StatusIs(kInvalid, HasSubstr("syscalls[0].names")));
  bad = s;
  bad.linux_config.seccomp->syscalls[0] = {{"ioctl"}, "SCMP_ACT_NOTIFY", std::nullopt, {}};
  EXPECT_THAT(ValidateSpec(bad), StatusIs(kInvalid, HasSubstr("needs linux.seccomp.listenerPath")));
  bad.linux_config.seccomp->listener_path = "/run/agent.sock";
  EXPECT_THAT(ValidateSpec(bad), IsOk());
  bad.linux_config.seccomp->default_action = "SCMP_ACT_NOTIFY";
  bad.linux_config.seccomp->default_errno_ret.reset();
  EXPECT_THAT(ValidateSpec(bad), StatusIs(kInvalid, HasSubstr("cannot be the default")));
}

TEST(SpecValidateTest, HostnameNeedsUtsNamespace) {
  Spec s = Base();
  s.hostname = "box";
  EXPECT_THAT(ValidateSpec(s), IsOk());
  s.linux_config.namespaces.erase(s.linux_config.namespaces.begin() + 2);  // uts
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("hostname: needs a uts namespace")));
}

TEST(SpecValidateTest, SysctlsMustBeNamespaced) {
  Spec s = Base();
  s.linux_config.sysctl = {{"kernel.shmmax", "1"}, {"fs.mqueue.msg_max", "10"}};
  EXPECT_THAT(ValidateSpec(s), IsOk());
  s.linux_config.sysctl = {{"net.ipv4.ip_forward", "1"}};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid,
                                        "linux.sysctl[\"net.ipv4.ip_forward\"]: needs a network "
                                        "namespace in linux.namespaces"));
  s.linux_config.sysctl = {{"vm.swappiness", "1"}};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("would change the host")));
}

TEST(SpecValidateTest, Devices) {
  Spec s = Base();
  s.linux_config.devices = {{"c", "/dev/null", 1, 3, 0666, 0, 0}};
  EXPECT_THAT(ValidateSpec(s), IsOk());
  s.linux_config.devices[0].type = "x";
  EXPECT_THAT(ValidateSpec(s),
              StatusIs(kInvalid, "linux.devices[0].type: unknown device type \"x\""));
  s.linux_config.devices[0] = {"c", "dev/null", 1, 3, std::nullopt, std::nullopt, std::nullopt};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.devices[0].path")));
  s.linux_config.devices[0] = {"c", "/dev/null", 1, 3, std::nullopt, 4294967295u, std::nullopt};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.devices[0].uid")));
  s = Base();
  s.linux_config.resources.devices = {{true, "c", 1, 3, "rwx"}};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.resources.devices[0].access")));
}

TEST(SpecValidateTest, PathsAndMisc) {
  Spec s = Base();
  s.linux_config.masked_paths = {"/proc/kcore", "proc/keys"};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.maskedPaths[1]")));
  s = Base();
  s.linux_config.readonly_paths = {"sys"};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.readonlyPaths[0]")));
  s = Base();
  s.linux_config.cgroups_path = "/berth/../../system.slice";
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.cgroupsPath")));
  s.linux_config.cgroups_path = "system.slice:berth:..";
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.cgroupsPath")));
  s.linux_config.cgroups_path = "system.slice:berth:abc";
  EXPECT_THAT(ValidateSpec(s), IsOk());
  s.linux_config.personality = Personality{"LINUX64", {}};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("linux.personality.domain")));
  s.linux_config.personality = Personality{"LINUX", {}};
  s.linux_config.time_offsets = {{"monotonic", {1, 0}}};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid, HasSubstr("needs a new time namespace")));
  s.linux_config.namespaces.push_back({"time", ""});
  EXPECT_THAT(ValidateSpec(s), IsOk());
  s.linux_config.time_offsets = {{"realtime", {1, 0}}};
  EXPECT_THAT(ValidateSpec(s), StatusIs(kInvalid,
                                        "linux.timeOffsets[\"realtime\"]: unknown clock "
                                        "\"realtime\""));
}

}  // namespace
}  // namespace berth::oci
