#include "services/runtime/core/container_spec_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "common/status_matchers.h"
#include "shim/oci/default_seccomp.h"

namespace berth::runtime {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

class ContainerSpecBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-specbuilder-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/etc");
    std::ofstream(dir_ + "/etc/passwd")
        << "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n";
    std::ofstream(dir_ + "/etc/group") << "root:x:0:\nwheel:x:10:app\n";
    ctx_.container_id = "0123456789abcdef0123456789abcdef";
    ctx_.rootfs_path = dir_;
    image_.entrypoint = {"/entry"};
    image_.cmd = {"img-cmd"};
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  absl::StatusOr<oci::Spec> Build() { return BuildContainerSpec(image_, options_, ctx_); }
  oci::Spec MustBuild() {
    absl::StatusOr<oci::Spec> spec = Build();
    EXPECT_THAT(spec, IsOk());
    return spec.ok() ? *spec : oci::Spec{};
  }
  const oci::Mount* FindMount(const oci::Spec& spec, const std::string& destination) {
    auto it = std::find_if(spec.mounts.begin(), spec.mounts.end(),
                           [&](const oci::Mount& m) { return m.destination == destination; });
    return it == spec.mounts.end() ? nullptr : &*it;
  }
  std::vector<std::string> NamespaceTypes(const oci::Spec& spec) {
    std::vector<std::string> types;
    for (const oci::Namespace& ns : spec.linux_config.namespaces) types.push_back(ns.type);
    return types;
  }

  std::string dir_;
  BuildContext ctx_;
  ImageRuntimeConfig image_;
  ContainerOptions options_;
};

struct ArgsCase {
  std::vector<std::string> image_entrypoint;
  std::vector<std::string> image_cmd;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> want;  // empty: "No command specified"
};

TEST_F(ContainerSpecBuilderTest, EntrypointAndCmdFollowDocker) {
  using V = std::vector<std::string>;
  const ArgsCase cases[] = {
      {{"/ep"}, {"a"}, std::nullopt, std::nullopt, {"/ep", "a"}},
      {{"/ep"}, {"a"}, std::nullopt, V{"b", "c"}, {"/ep", "b", "c"}},
      {{"/ep"}, {"a"}, V{"/new"}, std::nullopt, {"/new"}},  // --entrypoint clears image cmd
      {{"/ep"}, {"a"}, V{"/new"}, V{"b"}, {"/new", "b"}},
      {{"/ep"}, {"a"}, V{}, std::nullopt, {}},  // --entrypoint "" and no cmd
      {{"/ep"}, {"a"}, V{}, V{"b"}, {"b"}},
      {{}, {"/bin/sh", "-c", "x"}, std::nullopt, std::nullopt, {"/bin/sh", "-c", "x"}},
      {{}, {"a"}, std::nullopt, V{"b"}, {"b"}},
      {{"/ep"}, {}, std::nullopt, std::nullopt, {"/ep"}},
      {{}, {}, std::nullopt, std::nullopt, {}},
      {{"/ep"}, {"a"}, std::nullopt, V{}, {"/ep"}},  // cmd given empty
  };
  for (const ArgsCase& c : cases) {
    image_.entrypoint = c.image_entrypoint;
    image_.cmd = c.image_cmd;
    options_.entrypoint = c.entrypoint;
    options_.cmd = c.cmd;
    absl::StatusOr<oci::Spec> spec = Build();
    if (c.want.empty()) {
      EXPECT_THAT(spec, StatusIs(absl::StatusCode::kInvalidArgument, "No command specified"));
    } else {
      ASSERT_THAT(spec, IsOk());
      EXPECT_EQ(spec->process->args, c.want);
    }
  }
}

TEST_F(ContainerSpecBuilderTest, InitRunsTheCommandBoundAtDockersPath) {
  options_.init_path = "/usr/libexec/berth/berth-init";
  oci::Spec spec = MustBuild();
  EXPECT_THAT(spec.process->args, ElementsAre("/sbin/docker-init", "--", "/entry", "img-cmd"));
  const oci::Mount* init = FindMount(spec, "/sbin/docker-init");
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(init->type, "bind");
  EXPECT_EQ(init->source, "/usr/libexec/berth/berth-init");
  EXPECT_THAT(init->options, ElementsAre("bind", "ro"));
  // Without a command there is still nothing to run.
  image_.entrypoint.clear();
  image_.cmd.clear();
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, "No command specified"));
}

TEST_F(ContainerSpecBuilderTest, NoInitUnlessAsked) {
  oci::Spec spec = MustBuild();
  EXPECT_THAT(spec.process->args, ElementsAre("/entry", "img-cmd"));
  EXPECT_EQ(FindMount(spec, "/sbin/docker-init"), nullptr);
}

TEST_F(ContainerSpecBuilderTest, EnvMergesImageUserAndDockerDefaults) {
  image_.env = {"PATH=/img/bin", "A=image", "B=image"};
  options_.env = {"B=user", "C=user"};
  options_.tty = true;
  EXPECT_THAT(MustBuild().process->env, ElementsAre("PATH=/img/bin", "HOSTNAME=0123456789ab",
                                                    "TERM=xterm", "B=user", "C=user", "A=image"));

  image_.env = {"A=image"};
  options_ = {};
  options_.env = {"HOSTNAME=mine", "A"};  // a bare key unsets
  EXPECT_THAT(MustBuild().process->env,
              ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "HOSTNAME=mine"));
}

TEST_F(ContainerSpecBuilderTest, HostnameAndDomainname) {
  oci::Spec spec = MustBuild();
  EXPECT_EQ(spec.hostname, "0123456789ab");
  options_.hostname = "web";
  options_.domainname = "example.org";
  spec = MustBuild();
  EXPECT_EQ(spec.hostname, "web");
  EXPECT_EQ(spec.domainname, "example.org");
  EXPECT_THAT(spec.process->env, Contains("HOSTNAME=web"));
  options_.uts_mode = "host";
  spec = MustBuild();
  EXPECT_EQ(spec.hostname, "");
  EXPECT_EQ(spec.domainname, "");
  EXPECT_THAT(NamespaceTypes(spec), Not(Contains("uts")));
}

TEST_F(ContainerSpecBuilderTest, WorkingDir) {
  EXPECT_EQ(MustBuild().process->cwd, "/");
  image_.working_dir = "/srv/app/";
  EXPECT_EQ(MustBuild().process->cwd, "/srv/app");
  options_.working_dir = "/tmp//x/../y";
  EXPECT_EQ(MustBuild().process->cwd, "/tmp/y");
  options_.working_dir = "rel";
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("needs to be an absolute path")));
}

TEST_F(ContainerSpecBuilderTest, UserFromOptionsOrImage) {
  EXPECT_EQ(MustBuild().process->user.uid, 0u);
  image_.user = "app";
  oci::User user = MustBuild().process->user;
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.gid, 1000u);
  EXPECT_THAT(user.additional_gids, ElementsAre(10));
  options_.user = "5:6";
  options_.security.group_add = {"wheel"};
  user = MustBuild().process->user;
  EXPECT_EQ(user.uid, 5u);
  EXPECT_EQ(user.gid, 6u);
  EXPECT_THAT(user.additional_gids, ElementsAre(10));
  options_.user = "ghost";
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kNotFound,
                                "unable to find user ghost: no matching entries in passwd file"));
}

TEST_F(ContainerSpecBuilderTest, DefaultCapabilitiesAreDockers14) {
  oci::Capabilities caps = MustBuild().process->capabilities;
  EXPECT_EQ(caps.bounding.size(), 14u);
  EXPECT_THAT(caps.bounding, ElementsAreArray(oci::DockerDefaultCapabilities()));
  EXPECT_EQ(caps.effective, caps.bounding);
  EXPECT_EQ(caps.permitted, caps.bounding);
  EXPECT_THAT(caps.inheritable, IsEmpty());
  EXPECT_THAT(caps.ambient, IsEmpty());
}

TEST_F(ContainerSpecBuilderTest, CapAddAndDrop) {
  options_.security.cap_add = {"net_admin", "CAP_SYS_PTRACE"};
  options_.security.cap_drop = {"Cap_Chown", "kill"};
  std::vector<std::string> bounding = MustBuild().process->capabilities.bounding;
  EXPECT_EQ(bounding.size(), 14u);
  EXPECT_THAT(bounding, Contains("CAP_NET_ADMIN"));
  EXPECT_THAT(bounding, Contains("CAP_SYS_PTRACE"));
  EXPECT_THAT(bounding, Not(Contains("CAP_CHOWN")));
  EXPECT_THAT(bounding, Not(Contains("CAP_KILL")));

  options_.security.cap_add = {"NET_ADMIN"};
  options_.security.cap_drop = {"all"};
  EXPECT_THAT(MustBuild().process->capabilities.bounding, ElementsAre("CAP_NET_ADMIN"));

  options_.security.cap_add = {"ALL"};
  options_.security.cap_drop = {"SYS_ADMIN"};
  bounding = MustBuild().process->capabilities.bounding;
  EXPECT_GT(bounding.size(), 30u);
  EXPECT_THAT(bounding, Contains("CAP_SYS_MODULE"));
  EXPECT_THAT(bounding, Not(Contains("CAP_SYS_ADMIN")));

  options_.security.cap_add = {"FLY"};
  options_.security.cap_drop = {};
  EXPECT_THAT(Build(),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown capability: \"CAP_FLY\""));
}

TEST_F(ContainerSpecBuilderTest, PrivilegedLiftsConfinement) {
  options_.security.privileged = true;
  oci::Spec spec = MustBuild();
  EXPECT_THAT(spec.process->capabilities.bounding, Contains("CAP_SYS_ADMIN"));
  EXPECT_FALSE(spec.linux_config.seccomp.has_value());
  EXPECT_THAT(spec.linux_config.masked_paths, IsEmpty());
  EXPECT_THAT(spec.linux_config.readonly_paths, IsEmpty());
  ASSERT_NE(FindMount(spec, "/sys"), nullptr);
  EXPECT_THAT(FindMount(spec, "/sys")->options, Contains("rw"));
  EXPECT_THAT(FindMount(spec, "/sys")->options, Not(Contains("ro")));
  ASSERT_EQ(spec.linux_config.resources.devices.size(), 1u);
  EXPECT_TRUE(spec.linux_config.resources.devices[0].allow);
  EXPECT_EQ(spec.linux_config.resources.devices[0].access, "rwm");
}

TEST_F(ContainerSpecBuilderTest, DefaultConfinement) {
  oci::Spec spec = MustBuild();
  ASSERT_TRUE(spec.linux_config.seccomp.has_value());
  EXPECT_EQ(*spec.linux_config.seccomp, oci::DockerDefaultSeccomp());
  EXPECT_THAT(spec.linux_config.masked_paths, Contains("/proc/kcore"));
  EXPECT_THAT(spec.linux_config.masked_paths, Contains("/sys/devices/virtual/powercap"));
  EXPECT_EQ(spec.linux_config.masked_paths.size(), 11u);
  EXPECT_THAT(spec.linux_config.readonly_paths, ElementsAre("/proc/bus", "/proc/fs", "/proc/irq",
                                                            "/proc/sys", "/proc/sysrq-trigger"));
  EXPECT_THAT(FindMount(spec, "/sys")->options, Contains("ro"));
  EXPECT_FALSE(spec.process->no_new_privileges);
  EXPECT_FALSE(spec.root.readonly);
  EXPECT_EQ(spec.root.path, "rootfs");
  const auto& devices = spec.linux_config.resources.devices;
  ASSERT_FALSE(devices.empty());
  EXPECT_FALSE(devices[0].allow);
  EXPECT_THAT(devices, Contains(oci::DeviceRule{
                           .allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"}));
  EXPECT_THAT(
      devices,
      Contains(oci::DeviceRule{
          .allow = true, .type = "c", .major = 136, .minor = std::nullopt, .access = "rwm"}));
  EXPECT_THAT(spec.linux_config.sysctl, Contains(Pair("net.ipv4.ip_unprivileged_port_start", "0")));
  EXPECT_THAT(NamespaceTypes(spec), ElementsAre("mount", "network", "uts", "pid", "ipc"));
}

TEST_F(ContainerSpecBuilderTest, SeccompOptions) {
  options_.security.security_opts = {"seccomp=unconfined"};
  EXPECT_FALSE(MustBuild().linux_config.seccomp.has_value());
  options_.security.security_opts = {};
  options_.security.seccomp_profile = "unconfined";
  EXPECT_FALSE(MustBuild().linux_config.seccomp.has_value());

  options_.security.seccomp_profile = R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
      {"name": "exit", "action": "SCMP_ACT_ALLOW"},
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
    ]})";
  oci::Spec spec = MustBuild();
  ASSERT_TRUE(spec.linux_config.seccomp.has_value());
  const oci::Seccomp& seccomp = *spec.linux_config.seccomp;
  EXPECT_EQ(seccomp.default_action, "SCMP_ACT_ERRNO");
  ASSERT_EQ(seccomp.syscalls.size(), 3u);
  EXPECT_THAT(seccomp.syscalls[0].names, ElementsAre("read", "write"));
  EXPECT_THAT(seccomp.syscalls[1].names, ElementsAre("exit"));
  EXPECT_THAT(seccomp.syscalls[2].names, ElementsAre("getpid"));
#if defined(__x86_64__)
  EXPECT_THAT(seccomp.architectures, ElementsAre("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"));
#endif

  options_.security.seccomp_profile = "{not json";
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seccomp profile")));
  options_.security.seccomp_profile = R"({"defaultAction": 7})";
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("defaultAction")));
}

TEST_F(ContainerSpecBuilderTest, SecurityOpts) {
  for (const char* opt :
       {"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"}) {
    options_.security.security_opts = {opt};
    EXPECT_TRUE(MustBuild().process->no_new_privileges) << opt;
  }
  options_.security.security_opts = {"no-new-privileges:false"};
  EXPECT_FALSE(MustBuild().process->no_new_privileges);
  options_.security.no_new_privileges = true;
  EXPECT_TRUE(MustBuild().process->no_new_privileges);

  options_.security.security_opts = {"systempaths=unconfined", "apparmor=unconfined",
                                     "label=disable"};
  oci::Spec spec = MustBuild();
  EXPECT_THAT(spec.linux_config.masked_paths, IsEmpty());
  EXPECT_THAT(spec.linux_config.readonly_paths, IsEmpty());

  options_.security.security_opts = {"bogus=1"};
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"bogus=1\"")));
  options_.security.security_opts = {};
  options_.security.masked_paths = std::vector<std::string>{"/proc/x"};
  options_.security.readonly_paths = std::vector<std::string>{};
  spec = MustBuild();
  EXPECT_THAT(spec.linux_config.masked_paths, ElementsAre("/proc/x"));
  EXPECT_THAT(spec.linux_config.readonly_paths, IsEmpty());
}

TEST_F(ContainerSpecBuilderTest, ReadOnlyRootfs) {
  options_.security.read_only_rootfs = true;
  ctx_.resolv_conf_path = "/var/lib/berth/c/resolv.conf";
  oci::Spec spec = MustBuild();
  EXPECT_TRUE(spec.root.readonly);
  ASSERT_NE(FindMount(spec, "/etc/resolv.conf"), nullptr);
  EXPECT_THAT(FindMount(spec, "/etc/resolv.conf")->options, ElementsAre("rbind", "rprivate", "ro"));
  EXPECT_EQ(FindMount(spec, "/etc/hosts"), nullptr);
}

TEST_F(ContainerSpecBuilderTest, ShmSizeAndTmpfsAndMountOverrides) {
  oci::Spec spec = MustBuild();
  ASSERT_NE(FindMount(spec, "/dev/shm"), nullptr);
  EXPECT_THAT(FindMount(spec, "/dev/shm")->options,
              ElementsAre("nosuid", "noexec", "nodev", "mode=1777", "size=67108864"));

  options_.shm_size_bytes = 128 * 1024 * 1024;
  options_.tmpfs = {{"/run", "rw,size=64m,mode=1777,exec"}, {"/cache", ""}};
  options_.mounts = {{"/data", "bind", "/srv/data", {"rbind", "rw"}}};
  ctx_.hosts_path = "/h/hosts";
  ctx_.hostname_path = "/h/hostname";
  spec = MustBuild();
  EXPECT_THAT(FindMount(spec, "/dev/shm")->options, Contains("size=134217728"));
  ASSERT_NE(FindMount(spec, "/run"), nullptr);
  EXPECT_THAT(FindMount(spec, "/run")->options,
              ElementsAre("nosuid", "nodev", "rw", "size=64m", "mode=1777", "exec"));
  EXPECT_THAT(FindMount(spec, "/cache")->options, ElementsAre("noexec", "nosuid", "nodev"));
  EXPECT_EQ(FindMount(spec, "/data")->source, "/srv/data");
  EXPECT_EQ(spec.mounts[spec.mounts.size() - 2].destination, "/etc/hostname");
  EXPECT_EQ(spec.mounts.back().destination, "/etc/hosts");

  options_.tmpfs = {};
  options_.mounts = {{"/dev/shm", "bind", "/host/shm", {"rbind"}},
                     {"/etc/hosts", "bind", "/mine/hosts", {"rbind"}}};
  spec = MustBuild();
  EXPECT_EQ(std::count_if(spec.mounts.begin(), spec.mounts.end(),
                          [](const oci::Mount& m) { return m.destination == "/dev/shm"; }),
            1);
  EXPECT_EQ(FindMount(spec, "/dev/shm")->source, "/host/shm");
  EXPECT_EQ(FindMount(spec, "/etc/hosts")->source, "/mine/hosts");

  options_.mounts = {{"/dev", "bind", "/dev", {"rbind"}}};
  spec = MustBuild();
  EXPECT_EQ(FindMount(spec, "/dev/pts"), nullptr);
  EXPECT_EQ(FindMount(spec, "/dev")->source, "/dev");

  options_.mounts = {{"relative", "bind", "/x", {"rbind"}}};
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("relative")));
}

TEST_F(ContainerSpecBuilderTest, Ulimits) {
  options_.resources.ulimits = {{"nofile", 1024, 4096}, {"CORE", -1, -1}};
  EXPECT_THAT(MustBuild().process->rlimits,
              ElementsAre(oci::Rlimit{"RLIMIT_NOFILE", 4096, 1024},
                          oci::Rlimit{"RLIMIT_CORE", UINT64_MAX, UINT64_MAX}));
  options_.resources.ulimits = {{"bogus", 1, 1}};
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, "invalid ulimit type: bogus"));
  options_.resources.ulimits = {{"nproc", 10, 5}};
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("soft limit")));
}

TEST_F(ContainerSpecBuilderTest, Sysctls) {
  options_.sysctls = {{"net.ipv4.ip_forward", "1"},
                      {"kernel.shmmax", "1000"},
                      {"fs.mqueue.msg_max", "20"},
                      {"net.ipv4.ip_unprivileged_port_start", "80"}};
  oci::Spec spec = MustBuild();
  EXPECT_THAT(spec.linux_config.sysctl, Contains(Pair("kernel.shmmax", "1000")));
  EXPECT_THAT(spec.linux_config.sysctl,
              Contains(Pair("net.ipv4.ip_unprivileged_port_start", "80")));

  options_.sysctls = {{"kernel.panic", "1"}};
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument,
                                "sysctl \"kernel.panic\" is not in a separate kernel namespace"));
  options_.sysctls = {{"vm.swappiness", "1"}};
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument));
  options_.sysctls = {{"net.core.somaxconn", "1"}};
  options_.network_namespace_path = "host";
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host network")));
  options_.network_namespace_path = "";
  options_.sysctls = {{"kernel.sem", "1 2 3 4"}};
  options_.ipc_mode = "host";
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ipc")));
}

TEST_F(ContainerSpecBuilderTest, ResourceMath) {
  options_.resources.nano_cpus = 1500000000;   // --cpus 1.5
  options_.resources.memory_bytes = 64 << 20;  // -m 64m, swap 0
  options_.resources.cpu_shares = 512;
  options_.resources.cpuset_cpus = "0-1";
  options_.resources.pids_limit = 100;
  options_.resources.blkio_weight = 300;
  options_.resources.memory_swappiness = 10;
  options_.resources.oom_kill_disable = true;
  options_.resources.oom_score_adj = 500;
  oci::Spec spec = MustBuild();
  const oci::Resources& r = spec.linux_config.resources;
  EXPECT_EQ(r.cpu.quota, 150000);
  EXPECT_EQ(r.cpu.period, 100000u);
  EXPECT_EQ(r.cpu.shares, 512u);
  EXPECT_EQ(r.cpu.cpus, "0-1");
  EXPECT_EQ(r.memory.limit, 64 << 20);
  EXPECT_EQ(r.memory.swap, 128 << 20);
  EXPECT_EQ(r.memory.swappiness, 10u);
  EXPECT_EQ(r.memory.disable_oom_killer, true);
  EXPECT_EQ(r.pids.limit, 100);
  EXPECT_EQ(r.block_io.weight, 300);
  EXPECT_EQ(spec.process->oom_score_adj, 500);

  options_.resources.memory_swap_bytes = -1;
  options_.resources.pids_limit = -1;
  spec = MustBuild();
  EXPECT_EQ(spec.linux_config.resources.memory.swap, -1);
  EXPECT_FALSE(spec.linux_config.resources.pids.limit.has_value());

  options_.resources.cpu_period_us = 50000;
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Nano CPUs")));
  options_.resources = {};
  options_.resources.memory_bytes = 1024;
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("6MB")));
  options_.resources = {};
  options_.resources.blkio_weight = 5;
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("blkio weight")));
}

TEST_F(ContainerSpecBuilderTest, DevicesAndCgroupRules) {
  options_.resources.devices = {{"/dev/null", "/dev/mynull", "r"}};
  options_.resources.device_cgroup_rules = {"c 42:* rm"};
  oci::Spec spec = MustBuild();
  ASSERT_EQ(spec.linux_config.devices.size(), 1u);
  EXPECT_EQ(spec.linux_config.devices[0].path, "/dev/mynull");
  EXPECT_EQ(spec.linux_config.devices[0].major, 1);
  EXPECT_EQ(spec.linux_config.devices[0].minor, 3);
  const auto& rules = spec.linux_config.resources.devices;
  EXPECT_EQ(rules[rules.size() - 2],
            (oci::DeviceRule{.allow = true, .type = "c", .major = 1, .minor = 3, .access = "r"}));
  EXPECT_EQ(rules.back(),
            (oci::DeviceRule{
                .allow = true, .type = "c", .major = 42, .minor = std::nullopt, .access = "rm"}));
  options_.resources.device_cgroup_rules = {"x 1:2 r"};
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x 1:2 r")));
}

TEST_F(ContainerSpecBuilderTest, Namespaces) {
  ctx_.private_cgroupns = true;
  options_.pid_mode = "host";
  options_.ipc_mode = "host";
  options_.network_namespace_path = "host";
  oci::Spec spec = MustBuild();
  EXPECT_THAT(NamespaceTypes(spec), ElementsAre("mount", "uts", "cgroup"));
  EXPECT_EQ(FindMount(spec, "/dev/shm")->source, "/dev/shm");
  EXPECT_FALSE(spec.linux_config.sysctl.contains("net.ipv4.ping_group_range"));

  options_ = {};
  options_.network_namespace_path = "/run/netns/x";
  options_.join_namespaces = {{"pid", "/proc/42/ns/pid"}, {"ipc", "/proc/42/ns/ipc"}};
  spec = MustBuild();
  EXPECT_THAT(spec.linux_config.namespaces, Contains(oci::Namespace{"network", "/run/netns/x"}));
  EXPECT_THAT(spec.linux_config.namespaces, Contains(oci::Namespace{"pid", "/proc/42/ns/pid"}));
  EXPECT_THAT(spec.linux_config.namespaces, Contains(oci::Namespace{"ipc", "/proc/42/ns/ipc"}));

  options_.pid_mode = "host";
  EXPECT_THAT(Build(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ContainerSpecBuilderTest, CgroupsPathAndAnnotations) {
  ctx_.cgroups_path = "/berth/abc";
  options_.annotations = {{"org.example/k", "v"}};
  oci::Spec spec = MustBuild();
  EXPECT_EQ(spec.linux_config.cgroups_path, "/berth/abc");
  EXPECT_THAT(spec.annotations, ElementsAre(Pair("org.example/k", "v")));
  options_.cgroups_path = "/custom";
  EXPECT_EQ(MustBuild().linux_config.cgroups_path, "/custom");
}

}  // namespace
}  // namespace berth::runtime
