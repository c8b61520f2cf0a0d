#include "shim/oci/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/status_matchers.h"

namespace berth::oci {
namespace {

using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::Pair;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// Every field berth models, with values unlike their defaults.
constexpr absl::string_view kFullConfig = R"({
  "ociVersion": "1.2.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 24, "width": 80},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 20]},
    "args": ["/bin/app", "--flag"],
    "env": ["PATH=/bin", "HOME=/root"],
    "cwd": "/srv",
    "capabilities": {
      "bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_KILL"],
      "inheritable": ["CAP_NET_RAW"], "permitted": ["CAP_KILL", "CAP_CHOWN"],
      "ambient": ["CAP_CHECKPOINT_RESTORE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 18446744073709551615, "soft": 1024}],
    "noNewPrivileges": true,
    "apparmorProfile": "berth-default",
    "oomScoreAdj": -500,
    "selinuxLabel": "system_u:system_r:container_t:s0",
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4}
  },
  "root": {"path": "/var/lib/b/rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "none", "source": "/srv/data", "options": ["rbind", "ro"]}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/p"}],
    "createRuntime": [{"path": "/usr/bin/net", "args": ["net", "up"], "env": ["A=1"], "timeout": 5}],
    "createContainer": [{"path": "/usr/bin/cc"}],
    "startContainer": [{"path": "/usr/bin/sc"}],
    "poststart": [{"path": "/usr/bin/ps"}],
    "poststop": [{"path": "/usr/bin/pst"}]
  },
  "annotations": {"org.example.key": "value"},
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"},
    "resources": {
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
      "memory": {"limit": 536870912, "reservation": 0, "swap": -1, "kernel": 1, "kernelTCP": 2,
                 "swappiness": 60, "disableOOMKiller": false, "useHierarchy": true,
                 "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": 50000, "burst": 10, "period": 100000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "0-1", "mems": "0",
              "idle": 1},
      "pids": {"limit": 100},
      "blockIO": {
        "weight": 500, "leafWeight": 300,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 600}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
        "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2097152}],
        "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 100}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 200}]
      },
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
      "unified": {"memory.high": "max"}
    },
    "cgroupsPath": "/berth/abc",
    "namespaces": [
      {"type": "pid"}, {"type": "network", "path": "/run/berth/netns/abc"}, {"type": "mount"},
      {"type": "ipc"}, {"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
    ],
    "timeOffsets": {"monotonic": {"secs": 3600, "nanosecs": 5}},
    "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438,
                 "uid": 0, "gid": 0}],
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/seccomp.sock", "listenerMetadata": "meta",
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
      ]
    },
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"],
    "mountLabel": "system_u:object_r:container_file_t:s0",
    "personality": {"domain": "LINUX32"},
    "intelRdt": {"closID": "ignored"}
  },
  "vm": {"ignored": true}
})";

TEST(SpecTest, ParsesEveryField) {
  absl::StatusOr<Spec> parsed = ParseSpec(kFullConfig);
  BERTH_ASSERT_OK(parsed);
  const Spec& s = *parsed;
  EXPECT_EQ(s.oci_version, "1.2.0");
  ASSERT_TRUE(s.process.has_value());
  const Process& p = *s.process;
  EXPECT_TRUE(p.terminal);
  EXPECT_EQ(p.console_size, (ConsoleSize{24, 80}));
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1001u);
  EXPECT_THAT(p.user.umask, Optional(18u));
  EXPECT_THAT(p.user.additional_gids, ElementsAre(5u, 20u));
  EXPECT_THAT(p.args, ElementsAre("/bin/app", "--flag"));
  EXPECT_THAT(p.env, ElementsAre("PATH=/bin", "HOME=/root"));
  EXPECT_EQ(p.cwd, "/srv");
  EXPECT_THAT(p.capabilities.bounding, ElementsAre("CAP_CHOWN", "CAP_KILL"));
  EXPECT_THAT(p.capabilities.effective, ElementsAre("CAP_KILL"));
  EXPECT_THAT(p.capabilities.inheritable, ElementsAre("CAP_NET_RAW"));
  EXPECT_THAT(p.capabilities.permitted, ElementsAre("CAP_KILL", "CAP_CHOWN"));
  EXPECT_THAT(p.capabilities.ambient, ElementsAre("CAP_CHECKPOINT_RESTORE"));
  EXPECT_THAT(p.rlimits, ElementsAre(Rlimit{"RLIMIT_NOFILE", UINT64_MAX, 1024}));
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.apparmor_profile, "berth-default");
  EXPECT_THAT(p.oom_score_adj, Optional(-500));
  EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");
  EXPECT_EQ(s.root, (Root{"/var/lib/b/rootfs", true}));
  EXPECT_EQ(s.hostname, "box");
  EXPECT_EQ(s.domainname, "example.org");
  EXPECT_THAT(s.mounts, ElementsAre(Mount{"/proc", "proc", "proc", {}},
                                    Mount{"/data", "none", "/srv/data", {"rbind", "ro"}}));
  EXPECT_THAT(s.hooks.create_runtime, ElementsAre(Hook{"/usr/bin/net", {"net", "up"}, {"A=1"}, 5}));
  EXPECT_EQ(s.hooks.prestart.size(), 1u);
  EXPECT_EQ(s.hooks.create_container.size(), 1u);
  EXPECT_EQ(s.hooks.start_container.size(), 1u);
  EXPECT_EQ(s.hooks.poststart.size(), 1u);
  EXPECT_THAT(s.hooks.poststop, ElementsAre(Hook{"/usr/bin/pst", {}, {}, std::nullopt}));
  EXPECT_THAT(s.annotations, ElementsAre(Pair("org.example.key", "value")));

  const Linux& l = s.linux_config;
  EXPECT_THAT(l.uid_mappings, ElementsAre(IdMapping{0, 100000, 65536}));
  EXPECT_THAT(l.gid_mappings, ElementsAre(IdMapping{0, 100000, 65536}));
  EXPECT_THAT(l.sysctl,
              ElementsAre(Pair("kernel.shmmax", "4096"), Pair("net.ipv4.ip_forward", "1")));
  const Resources& r = l.resources;
  ASSERT_EQ(r.devices.size(), 2u);
  EXPECT_EQ(r.devices[1], (DeviceRule{true, "c", 1, 3, "rw"}));
  EXPECT_EQ(r.devices[0].major, std::nullopt);
  EXPECT_THAT(r.memory.limit, Optional(536870912));
  EXPECT_THAT(r.memory.reservation, Optional(0));  // present zero stays present
  EXPECT_THAT(r.memory.swap, Optional(-1));
  EXPECT_THAT(r.memory.kernel, Optional(1));
  EXPECT_THAT(r.memory.kernel_tcp, Optional(2));
  EXPECT_THAT(r.memory.swappiness, Optional(60u));
  EXPECT_THAT(r.memory.disable_oom_killer, Optional(false));
  EXPECT_THAT(r.memory.use_hierarchy, Optional(true));
  EXPECT_THAT(r.memory.check_before_update, Optional(true));
  EXPECT_THAT(r.cpu.shares, Optional(1024u));
  EXPECT_THAT(r.cpu.quota, Optional(50000));
  EXPECT_THAT(r.cpu.burst, Optional(10u));
  EXPECT_THAT(r.cpu.period, Optional(100000u));
  EXPECT_THAT(r.cpu.realtime_runtime, Optional(950000));
  EXPECT_THAT(r.cpu.realtime_period, Optional(1000000u));
  EXPECT_EQ(r.cpu.cpus, "0-1");
  EXPECT_EQ(r.cpu.mems, "0");
  EXPECT_THAT(r.cpu.idle, Optional(1));
  EXPECT_THAT(r.pids.limit, Optional(100));
  EXPECT_THAT(r.block_io.weight, Optional(500));
  EXPECT_THAT(r.block_io.leaf_weight, Optional(300));
  EXPECT_THAT(r.block_io.weight_device, ElementsAre(WeightDevice{8, 0, 600, std::nullopt}));
  EXPECT_THAT(r.block_io.throttle_read_bps_device, ElementsAre(ThrottleDevice{8, 0, 1048576}));
  EXPECT_THAT(r.block_io.throttle_write_bps_device, ElementsAre(ThrottleDevice{8, 0, 2097152}));
  EXPECT_THAT(r.block_io.throttle_read_iops_device, ElementsAre(ThrottleDevice{8, 0, 100}));
  EXPECT_THAT(r.block_io.throttle_write_iops_device, ElementsAre(ThrottleDevice{8, 0, 200}));
  EXPECT_THAT(r.hugepage_limits, ElementsAre(HugepageLimit{"2MB", 209715200}));
  EXPECT_THAT(r.network.class_id, Optional(1048577u));
  EXPECT_THAT(r.network.priorities, ElementsAre(InterfacePriority{"eth0", 500}));
  EXPECT_THAT(r.unified, ElementsAre(Pair("memory.high", "max")));
  EXPECT_EQ(l.cgroups_path, "/berth/abc");
  ASSERT_EQ(l.namespaces.size(), 8u);
  EXPECT_EQ(l.namespaces[1], (Namespace{"network", "/run/berth/netns/abc"}));
  EXPECT_THAT(l.time_offsets, ElementsAre(Pair("monotonic", TimeOffset{3600, 5})));
  EXPECT_THAT(l.devices, ElementsAre(Device{"c", "/dev/fuse", 10, 229, 0666, 0, 0}));
  ASSERT_TRUE(l.seccomp.has_value());
  EXPECT_EQ(l.seccomp->default_action, "SCMP_ACT_ERRNO");
  EXPECT_THAT(l.seccomp->default_errno_ret, Optional(1u));
  EXPECT_THAT(l.seccomp->architectures, ElementsAre("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"));
  EXPECT_THAT(l.seccomp->flags, ElementsAre("SECCOMP_FILTER_FLAG_LOG"));
  EXPECT_EQ(l.seccomp->listener_path, "/run/seccomp.sock");
  EXPECT_EQ(l.seccomp->listener_metadata, "meta");
  ASSERT_EQ(l.seccomp->syscalls.size(), 3u);
  EXPECT_THAT(l.seccomp->syscalls[1].args, ElementsAre(SyscallArg{0, 8, 0, "SCMP_CMP_EQ"}));
  EXPECT_THAT(l.seccomp->syscalls[2].errno_ret, Optional(38u));
  EXPECT_EQ(l.rootfs_propagation, "rslave");
  EXPECT_THAT(l.masked_paths, ElementsAre("/proc/kcore"));
  EXPECT_THAT(l.readonly_paths, ElementsAre("/proc/sys"));
  EXPECT_EQ(l.mount_label, "system_u:object_r:container_file_t:s0");
  EXPECT_EQ(l.personality, (Personality{"LINUX32", {}}));
}

TEST(SpecTest, RoundTrips) {
  absl::StatusOr<Spec> parsed = ParseSpec(kFullConfig);
  BERTH_ASSERT_OK(parsed);
  std::string text = SerializeSpec(*parsed);
  EXPECT_THAT(ParseSpec(text), IsOkAndHolds(*parsed));
  // Serializing is stable.
  EXPECT_EQ(SerializeSpec(*ParseSpec(text)), text);
}

TEST(SpecTest, MinimalSpec) {
  absl::StatusOr<Spec> s = ParseSpec(R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"}})");
  BERTH_ASSERT_OK(s);
  EXPECT_FALSE(s->process.has_value());
  EXPECT_EQ(s->root.path, "rootfs");
  EXPECT_FALSE(s->root.readonly);
  EXPECT_EQ(s->linux_config, Linux{});
  EXPECT_EQ(SerializeSpec(*s), R"({
  "ociVersion": "1.0.2",
  "root": {
    "path": "rootfs"
  },
  "linux": {}
})");
}

TEST(SpecTest, WritesGoShapedJson) {
  Spec s;
  s.oci_version = "1.2.0";
  s.root.path = "rootfs";
  s.process.emplace().args = {"sh"};
  s.process->cwd = "/";
  s.linux_config.resources.memory.limit = 0;
  DeviceRule deny;
  deny.access = "rwm";
  s.linux_config.resources.devices = {deny};
  // uid/gid and allow are written even when zero/false, as Go's encoder does; an absent
  // optional is left out and a present zero is kept.
  EXPECT_EQ(SerializeSpec(s), R"({
  "ociVersion": "1.2.0",
  "process": {
    "user": {
      "uid": 0,
      "gid": 0
    },
    "args": [
      "sh"
    ],
    "cwd": "/"
  },
  "root": {
    "path": "rootfs"
  },
  "linux": {
    "resources": {
      "devices": [
        {
          "allow": false,
          "access": "rwm"
        }
      ],
      "memory": {
        "limit": 0
      }
    }
  }
})");
}

TEST(SpecTest, RequiredFields) {
  EXPECT_THAT(ParseSpec(R"({"root": {"path": "r"}})"),
              StatusIs(kInvalid, "config.json: ociVersion: is required"));
  EXPECT_THAT(ParseSpec(R"({"ociVersion": "1.2.0"})"),
              StatusIs(kInvalid, "config.json: root: is required"));
  EXPECT_THAT(ParseSpec(R"({"ociVersion": "1.2.0", "root": {}})"),
              StatusIs(kInvalid, "config.json: root.path: is required"));
  EXPECT_THAT(ParseSpec(R"({"ociVersion": "1.2.0", "root": {"path": "r"},
                            "process": {"args": ["sh"]}})"),
              StatusIs(kInvalid, "config.json: process.cwd: is required"));
  EXPECT_THAT(ParseSpec(R"({"ociVersion": "1.2.0", "root": {"path": "r"},
                            "process": {"args": ["sh"], "cwd": "srv"}})"),
              StatusIs(kInvalid, HasSubstr("process.cwd: must be an absolute path, got \"srv\"")));
  EXPECT_THAT(ParseSpec(R"({"ociVersion": "1.2.0", "root": {"path": "r"},
                            "process": {"cwd": "/"}})"),
              StatusIs(kInvalid, "config.json: process.args: must name the program to run"));
  EXPECT_THAT(ParseSpec(R"({"ociVersion": "1.2.0", "root": {"path": "r"},
                            "process": {"args": [], "cwd": "/"}})"),
              StatusIs(kInvalid, "config.json: process.args: must name the program to run"));
}

TEST(SpecTest, TypeErrorsNameTheField) {
  EXPECT_THAT(ParseSpec("[1]"), StatusIs(kInvalid, "config.json: must be an object, got array"));
  EXPECT_THAT(ParseSpec("{"), StatusIs(kInvalid, HasSubstr("config.json: invalid JSON")));
  EXPECT_THAT(ParseSpec(R"({"ociVersion": "1.2.0", "root": {"path": "r"},
                    "linux": {"resources": {"memory": {"limit": "1g"}}}})"),
              StatusIs(kInvalid,
                       "config.json: linux.resources.memory.limit: must be an integer in "
                       "-9223372036854775808..9223372036854775807, got \"1g\""));
  EXPECT_THAT(
      ParseSpec(R"({"ociVersion": "1.2.0", "root": {"path": "r"},
                            "mounts": [{"destination": "/a"}, {"destination": 3}]})"),
      StatusIs(kInvalid, "config.json: mounts[1].destination: must be a string, got number"));
}

TEST(SpecTest, IgnoresUnknownKeys) {
  absl::StatusOr<Spec> s = ParseSpec(R"({
    "ociVersion": "1.2.0", "root": {"path": "r", "future": 1}, "windows": {"layerFolders": []},
    "linux": {"rdma": {"mlx5_1": {"hcaHandles": 3}}, "somethingNew": [1, 2]}
  })");
  BERTH_ASSERT_OK(s);
  EXPECT_EQ(s->root.path, "r");
}

TEST(SpecTest, LoadSpecReadsTheBundle) {
  std::filesystem::path bundle = std::filesystem::path(::testing::TempDir()) / "oci_spec_bundle";
  std::filesystem::create_directories(bundle);
  std::ofstream(bundle / "config.json") << kFullConfig;
  EXPECT_THAT(LoadSpec(bundle.string()), IsOkAndHolds(*ParseSpec(kFullConfig)));

  std::ofstream(bundle / "config.json") << R"({"ociVersion": "1.2.0", "root": {"path": "r"},
             "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 4294967295}}})";
  EXPECT_THAT(LoadSpec(bundle.string()),
              StatusIs(kInvalid, (bundle / "config.json").string() +
                                     ": process.user.uid: must be an integer in "
                                     "0..2147483647, got 4294967295"));
  std::filesystem::remove_all(bundle);
  EXPECT_THAT(LoadSpec(bundle.string()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("config.json")));
}

}  // namespace
}  // namespace berth::oci
