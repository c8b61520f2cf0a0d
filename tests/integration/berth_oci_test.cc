// berth-oci run against a real busybox bundle: namespaces, pivot_root, /dev, masked and
// read-only paths, identity and privileges, seccomp, exit codes, and the runtime escapes
// the library guards against.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_text.h"
#include "common/status_matchers.h"
#include "nlohmann/json.hpp"
#include "shim/oci/capabilities.h"
#include "shim/oci/default_seccomp.h"
#include "shim/oci/fd_passing.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/busybox_bundle.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string ReadLink(const std::string& path) {
  std::error_code ec;
  return std::filesystem::read_symlink(path, ec).string();
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class BerthOciTest : public ::testing::Test {
 protected:
  void SetUp() override { BERTH_ASSERT_OK(MakeBusyboxRootfs(dir_.path())); }

  RunResult RunBundle(const oci::Spec& spec) {
    if (!WriteBundleConfig(dir_.path(), spec).ok()) return {};
    return RunCommand({BERTH_TEST_BERTH_OCI, "run", "--bundle", dir_.path(), UniqueName()});
  }
  RunResult RunShell(const std::string& script) {
    return RunBundle(BusyboxSpec({"sh", "-c", script}));
  }

  TestDir dir_;
};

TEST_F(BerthOciTest, RunsAsPid1WithItsOwnHostnameAndExitCode) {
  RunResult r = RunShell("echo pid=$$ host=$(hostname); exit 3");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "pid=1 host=berth-test\n");
}

TEST_F(BerthOciTest, RootIsTheBundleAfterPivotRoot) {
  std::ofstream(dir_ / "rootfs/marker") << "inside\n";
  RunResult r = RunShell("cat /marker; ls /; test -e /work && echo HOST-VISIBLE; true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("inside\n"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("HOST-VISIBLE")));
}

TEST_F(BerthOciTest, DevHasTheDefaultNodesAndLinks) {
  RunResult r = RunShell(
      "stat -c '%n %t:%T' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; "
      "readlink /dev/fd; readlink /dev/ptmx; echo x > /dev/null && echo ok");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("/dev/null 1:3\n/dev/zero 1:5\n/dev/full 1:7\n"));
  EXPECT_THAT(r.out, HasSubstr("/dev/tty 5:0\n/proc/self/fd\npts/ptmx\nok\n"));
}

TEST_F(BerthOciTest, MaskedAndReadonlyPathsHold) {
  RunResult r = RunShell(
      "wc -c < /proc/timer_list; ls /sys/firmware | wc -l; "
      "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo WRITABLE; "
      "echo 1 > /proc/sysrq-trigger 2>/dev/null && echo WRITABLE; true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n0\n");
}

TEST_F(BerthOciTest, UserGroupsCapabilitiesAndLimitsApply) {
  oci::Spec spec = BusyboxSpec({"sh", "-c",
                                "id -u; id -g; id -G; grep -E '^(CapEff|CapBnd|NoNewPrivs)' "
                                "/proc/self/status; ulimit -n"});
  spec.process->user.uid = 1000;
  spec.process->user.gid = 1001;
  spec.process->user.additional_gids = {2000};
  spec.process->no_new_privileges = true;
  spec.process->rlimits = {{"RLIMIT_NOFILE", 321, 123}};
  spec.process->capabilities.bounding = {"CAP_KILL", "CAP_CHOWN"};
  spec.process->capabilities.effective = {"CAP_KILL"};
  spec.process->capabilities.permitted = {"CAP_KILL"};
  // A non-root process keeps capabilities across exec only through the ambient set.
  spec.process->capabilities.ambient = {"CAP_KILL"};
  spec.process->capabilities.inheritable = {"CAP_KILL"};
  RunResult r = RunBundle(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  char expected[256];
  std::snprintf(expected, sizeof(expected),
                "1000\n1001\n1001 2000\nCapEff:\t%016llx\nCapBnd:\t%016llx\nNoNewPrivs:\t1\n123\n",
                static_cast<unsigned long long>(oci::CapabilityMask({"CAP_KILL"})),
                static_cast<unsigned long long>(oci::CapabilityMask({"CAP_KILL", "CAP_CHOWN"})));
  EXPECT_EQ(r.out, expected);
}

TEST_F(BerthOciTest, UserNamespaceMapsRootToAnUnprivilegedHostRange) {
  // The rootfs stays owned by host root, so inside the namespace it shows as the overflow
  // uid; a file the container creates in /tmp (a tmpfs it mounts) belongs to its root.
  oci::Spec spec = BusyboxSpec({"sh", "-c",
                                "cat /proc/self/uid_map /proc/self/gid_map; id -u; "
                                "stat -c %u /bin/busybox; mount -t tmpfs t /tmp && touch /tmp/f "
                                "&& stat -c %u:%g /tmp/f; cat /proc/1/status | grep ^CapEff"});
  spec.linux_config.namespaces.push_back({"user", ""});
  spec.linux_config.uid_mappings = {{.container_id = 0, .host_id = 100000, .size = 65536}};
  spec.linux_config.gid_mappings = {{.container_id = 0, .host_id = 100000, .size = 65536}};
  spec.process->capabilities.bounding.push_back("CAP_SYS_ADMIN");
  spec.process->capabilities.effective.push_back("CAP_SYS_ADMIN");
  spec.process->capabilities.permitted.push_back("CAP_SYS_ADMIN");
  // The mapped root (host uid 100000) must be able to reach the rootfs, as with runc.
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  RunResult r = RunBundle(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipWhitespace());
  ASSERT_GE(lines.size(), 6u) << r.out;
  EXPECT_THAT(std::vector<std::string>(absl::StrSplit(lines[0], ' ', absl::SkipWhitespace())),
              ::testing::ElementsAre("0", "100000", "65536"));
  EXPECT_THAT(std::vector<std::string>(absl::StrSplit(lines[1], ' ', absl::SkipWhitespace())),
              ::testing::ElementsAre("0", "100000", "65536"));
  EXPECT_EQ(lines[2], "0");
  EXPECT_EQ(lines[3], "65534");  // host root is unmapped inside
  EXPECT_EQ(lines[4], "0:0");
  EXPECT_THAT(lines[5], StartsWith("CapEff:"));
}

TEST_F(BerthOciTest, MissingExecutableIsReported) {
  RunResult r = RunBundle(BusyboxSpec({"no-such-program"}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("exec: \"no-such-program\": executable file not found in $PATH"));
}

TEST_F(BerthOciTest, BindMountThroughAbsoluteSymlinkStaysInsideTheRoot) {
  // rootfs/evil -> /../../../<outside>: resolved in the root it is rootfs/<outside>.
  TestDir outside;
  std::string source = outside / "source";
  std::filesystem::create_directories(source);
  std::ofstream(source + "/payload") << "bound\n";
  std::string escape_target = outside / "escape";
  std::filesystem::create_directories(escape_target);
  std::filesystem::create_symlink("/../../../.." + escape_target, dir_ / "rootfs/evil");
  oci::Spec spec = BusyboxSpec({"sh", "-c", "cat /evil/payload"});
  spec.mounts.push_back({"/evil", "bind", source, {"rbind"}});
  RunResult r = RunBundle(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "bound\n");
  EXPECT_TRUE(std::filesystem::is_empty(escape_target));  // nothing landed outside
  EXPECT_TRUE(std::filesystem::exists(dir_ / ("rootfs" + escape_target)));
}

TEST_F(BerthOciTest, MountDestinationSwappedByARacingProcessStaysInsideTheRoot) {
  // CVE-2021-30465's shape: while the runtime sets up mounts, another process keeps
  // exchanging the destination directory with a symlink to a host directory. A runtime
  // that resolves the path and then mounts by name can be made to mount outside the
  // root; one that mounts through the fd it resolved in-root cannot. Each run either
  // fails or shows its marked tmpfs in the container's own mount table.
  const std::string rootfs = dir_.path() + "/rootfs";
  const std::string host_target = dir_.path() + "/host-target";
  ASSERT_EQ(::mkdir(host_target.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((rootfs + "/race").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((rootfs + "/race/d").c_str(), 0755), 0);
  ASSERT_EQ(::symlink(host_target.c_str(), (rootfs + "/race/l").c_str()), 0);
  oci::Spec spec =
      BusyboxSpec({"sh", "-c", "echo mounts=$(grep -c berth-race-marker /proc/self/mountinfo)"});
  spec.mounts.push_back({"/race/d", "tmpfs", "berth-race-marker", {"size=64k"}});

  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  std::thread racer([&] {
    int race_fd = ::open((rootfs + "/race").c_str(), O_DIRECTORY | O_CLOEXEC);
    while (!stop.load(std::memory_order_relaxed)) {
      if (::renameat2(race_fd, "d", race_fd, "l", RENAME_EXCHANGE) == 0) swaps++;
    }
    ::close(race_fd);
  });
  int succeeded = 0;
  for (int i = 0; i < 40; ++i) {
    RunResult r = RunBundle(spec);
    if (r.exit_code != 0) continue;  // refusing is a safe outcome
    ++succeeded;
    EXPECT_EQ(r.out, "mounts=1\n") << "run " << i << ": the tmpfs did not land inside the root";
  }
  stop = true;
  racer.join();
  EXPECT_GT(swaps.load(), 0);
  EXPECT_GT(succeeded, 0) << "every run failed; the race was never exercised";
  // Nothing was mounted over the host directory in the host's namespace either.
  EXPECT_THAT(ReadWhole("/proc/self/mountinfo"), ::testing::Not(HasSubstr(host_target)));
}

TEST_F(BerthOciTest, ProcAsASymlinkIsRefused) {
  std::filesystem::remove(dir_ / "rootfs/proc");
  std::filesystem::create_symlink("/tmp", dir_ / "rootfs/proc");
  RunResult r = RunShell("true");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("mount destination is a symlink: /proc"));
}

TEST_F(BerthOciTest, CwdThroughALeakedFdCannotLeaveTheRoot) {
  // An fd to a host directory inherited by the runtime (as fd 77), and a cwd through it:
  // CVE-2024-21626's shape. The cwd must be refused, not entered.
  TestDir host;
  int fd = ::open(host.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, 77), 77);
  ::close(fd);
  oci::Spec spec = BusyboxSpec({"sh", "-c", "pwd; ls"});
  spec.process->cwd = "/proc/self/fd/77";
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  RunResult r = RunCommand({BERTH_TEST_BERTH_OCI, "run", "--bundle", dir_.path(), UniqueName()});
  ::close(77);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.err, ::testing::AnyOf(HasSubstr("cwd is outside the container's root"),
                                      HasSubstr("chdir to cwd")));
}

// A filter that only makes mkdir fail, installed right before exec (no_new_privs) or
// before the identity change (without).
TEST_F(BerthOciTest, SeccompErrnoRuleFailsOnlyItsSyscall) {
  for (bool no_new_privileges : {true, false}) {
    oci::Spec spec = BusyboxSpec({"sh", "-c", "mkdir /tmp/x; echo status=$?; echo ok"});
    spec.process->no_new_privileges = no_new_privileges;
    oci::Seccomp& seccomp = spec.linux_config.seccomp.emplace();
    seccomp.default_action = "SCMP_ACT_ALLOW";
    seccomp.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    seccomp.syscalls = {oci::SyscallRule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", EPERM)};
    RunResult r = RunBundle(spec);
    ASSERT_EQ(r.exit_code, 0) << no_new_privileges << r.err;
    EXPECT_EQ(r.out, "status=1\nok\n") << no_new_privileges;
    EXPECT_THAT(r.err, HasSubstr("can't create directory '/tmp/x': Operation not permitted"));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "rootfs/tmp/x"));
  }
}

TEST_F(BerthOciTest, SeccompAllowListWithoutExecveFailsTheExec) {
  oci::Spec spec = BusyboxSpec({"sh", "-c", "echo never"});
  oci::Seccomp& seccomp = spec.linux_config.seccomp.emplace();
  seccomp.default_action = "SCMP_ACT_ERRNO";
  seccomp.syscalls = {oci::SyscallRule({"write", "exit", "exit_group"}, "SCMP_ACT_ALLOW")};
  RunResult r = RunBundle(spec);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  // Every PATH candidate fails alike; the last one tried is reported.
  EXPECT_THAT(r.err, HasSubstr("exec /bin/sh: Operation not permitted"));
}

TEST_F(BerthOciTest, SeccompUnknownActionIsRejectedBeforeAnythingRuns) {
  oci::Spec spec = BusyboxSpec({"true"});
  oci::Seccomp& seccomp = spec.linux_config.seccomp.emplace();
  seccomp.default_action = "SCMP_ACT_ALLOW";
  seccomp.syscalls = {oci::SyscallRule({"mkdir"}, "SCMP_ACT_SOMETIMES")};
  RunResult r = RunBundle(spec);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("linux.seccomp.syscalls[0].action"));
}

// Docker's defaults: its 14 capabilities, no no_new_privs, its seccomp profile.
oci::Spec DockerLikeSpec(const std::string& script, const std::vector<std::string>& caps,
                         const std::vector<std::string>& profile_caps) {
  oci::Spec spec = BusyboxSpec({"sh", "-c", script});
  spec.process->no_new_privileges = false;
  spec.process->capabilities.bounding = caps;
  spec.process->capabilities.effective = caps;
  spec.process->capabilities.permitted = caps;
  spec.linux_config.seccomp = oci::DockerDefaultSeccomp(profile_caps);
  return spec;
}

TEST_F(BerthOciTest, DockerDefaultSeccompRunsAShell) {
  const std::vector<std::string>& caps = oci::DockerDefaultCapabilities();
  RunResult r = RunBundle(DockerLikeSpec(
      "echo ok; ls / > /dev/null && echo listed; cat /proc/self/status | grep '^Seccomp:'", caps,
      caps));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\nlisted\nSeccomp:\t2\n");
}

TEST_F(BerthOciTest, DockerDefaultSeccompDeniesUnshareAndMountWithoutSysAdmin) {
  // The process holds CAP_SYS_ADMIN, so only the filter (made for Docker's defaults) can
  // refuse; the same calls pass under the profile made for the capabilities it holds.
  std::vector<std::string> caps = oci::DockerDefaultCapabilities();
  caps.push_back("CAP_SYS_ADMIN");
  const std::string script =
      "unshare -m true && echo unshared; mount -t tmpfs none /tmp && echo mounted; echo done";
  RunResult denied = RunBundle(DockerLikeSpec(script, caps, oci::DockerDefaultCapabilities()));
  ASSERT_EQ(denied.exit_code, 0) << denied.err;
  EXPECT_EQ(denied.out, "done\n");
  EXPECT_THAT(denied.err, HasSubstr("unshare(0x20000): Operation not permitted"));
  EXPECT_THAT(denied.err, HasSubstr("mount: permission denied"));

  RunResult allowed = RunBundle(DockerLikeSpec(script, caps, caps));
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(allowed.out, "unshared\nmounted\ndone\n");
}

// The container's cgroup directory for `controller`: its v1 hierarchy, or the v2 tree on
// a pure v2 host (the test and berth-oci share a cgroup, under which relative
// cgroupsPaths nest).
std::string CgroupDirOf(const std::string& controller, const std::string& name) {
  std::ifstream in("/proc/self/cgroup");
  std::string unified;
  for (std::string line; std::getline(in, line);) {
    size_t first = line.find(':'), second = line.find(':', first + 1);
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (controllers.empty()) unified = "/sys/fs/cgroup" + path + "/" + name;
    for (absl::string_view c : absl::StrSplit(controllers, ',')) {
      if (c == controller) return "/sys/fs/cgroup/" + controller + path + "/" + name;
    }
  }
  return unified;
}

TEST_F(BerthOciTest, ForkBombStopsAtThePidsLimitAndTheCgroupIsRemoved) {
  std::string name = UniqueName();
  oci::Spec spec = BusyboxSpec({"sh", "-c", "for i in $(seq 1 30); do sleep 30 & echo $i; done"});
  spec.linux_config.cgroups_path = name;
  spec.linux_config.resources.pids.limit = 10;
  RunResult r = RunBundle(spec);
  // The shell (1) and nine sleeps fill the cgroup; the tenth fork fails.
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("can't fork"));
  EXPECT_EQ(r.out, "1\n2\n3\n4\n5\n6\n7\n8\n9\n");
  // The sleeps left behind went with the cgroup.
  std::string dir = CgroupDirOf("pids", name);
  ASSERT_FALSE(dir.empty());
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

TEST_F(BerthOciTest, MemoryHogIsOomKilled) {
  oci::Spec spec = BusyboxSpec({"sh", "-c", "head -c 200000000 /dev/zero | tail > /dev/null"});
  spec.linux_config.cgroups_path = UniqueName();
  spec.linux_config.resources.memory.limit = 32 << 20;
  RunResult r = RunBundle(spec);
  EXPECT_EQ(r.exit_code, 137) << r.out << r.err;  // tail, SIGKILLed by the OOM killer
}

class BerthOciLifecycleTest : public BerthOciTest {
 protected:
  RunResult Oci(std::vector<std::string> args) { return RunBerthOci(state_.path(), args); }
  std::string Status(const std::string& id) { return BerthOciStatus(state_.path(), id); }
  TestDir state_;
};

TEST_F(BerthOciLifecycleTest, CreateStartPauseResumeKillDelete) {
  std::string id = UniqueName();
  oci::Spec spec = BusyboxSpec({"sleep", "60"});
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  ASSERT_EQ(Oci({"create", "--bundle", dir_.path(), id}).exit_code, 0);
  EXPECT_EQ(Status(id), "created");
  RunResult state = Oci({"state", id});
  auto json = nlohmann::json::parse(state.out);
  EXPECT_EQ(json["ociVersion"], "1.2.0");
  EXPECT_EQ(json["bundle"], dir_.path());
  int pid = json["pid"];
  ASSERT_GT(pid, 0);
  // Created: set up but not yet exec'd.
  std::string comm;
  std::ifstream(absl::StrCat("/proc/", pid, "/comm")) >> comm;
  EXPECT_EQ(comm, "berth-oci");

  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  EXPECT_EQ(Status(id), "running");
  comm.clear();
  for (int i = 0; i < 100 && comm != "sleep"; ++i) {
    std::ifstream(absl::StrCat("/proc/", pid, "/comm")) >> comm;
    if (comm != "sleep") ::usleep(10000);
  }
  EXPECT_EQ(comm, "sleep");
  RunResult ps = Oci({"ps", "--format", "json", id});
  EXPECT_EQ(nlohmann::json::parse(ps.out), nlohmann::json::array({pid}));
  EXPECT_NE(Oci({"start", id}).exit_code, 0);  // only a created container starts

  ASSERT_EQ(Oci({"pause", id}).exit_code, 0);
  EXPECT_EQ(Status(id), "paused");
  std::string proc_state;
  std::ifstream status_file(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(status_file, line);) {
    if (line.rfind("State:", 0) == 0) proc_state = line;
  }
  EXPECT_THAT(proc_state, HasSubstr("S"));  // frozen tasks sleep in the freezer
  ASSERT_EQ(Oci({"resume", id}).exit_code, 0);
  EXPECT_EQ(Status(id), "running");

  RunResult refused = Oci({"delete", id});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("not stopped"));
  ASSERT_EQ(Oci({"kill", id, "KILL"}).exit_code, 0);
  for (int i = 0; i < 100 && Status(id) != "stopped"; ++i) ::usleep(10000);
  EXPECT_EQ(Status(id), "stopped");
  ASSERT_EQ(Oci({"delete", id}).exit_code, 0);
  EXPECT_THAT(Oci({"state", id}).err, HasSubstr("container does not exist"));
  std::string memory_dir = CgroupDirOf("memory", id);
  std::string freezer_dir = CgroupDirOf("freezer", id);
  EXPECT_FALSE(std::filesystem::exists(memory_dir)) << memory_dir;
  EXPECT_FALSE(std::filesystem::exists(freezer_dir)) << freezer_dir;
}

TEST_F(BerthOciLifecycleTest, ListAndForceDelete) {
  std::string id = UniqueName();
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), BusyboxSpec({"sleep", "60"})));
  ASSERT_EQ(Oci({"run", "--detach", "--bundle", dir_.path(), id}).exit_code, 0);
  EXPECT_EQ(Oci({"list", "-q"}).out, id + "\n");
  EXPECT_THAT(Oci({"list"}).out, HasSubstr("running"));
  EXPECT_EQ(Oci({"create", "--bundle", dir_.path(), id}).exit_code, 1);  // id taken
  ASSERT_EQ(Oci({"delete", "--force", id}).exit_code, 0);
  EXPECT_EQ(Oci({"list", "-q"}).out, "");
  EXPECT_FALSE(std::filesystem::exists(CgroupDirOf("pids", id)));
}

TEST_F(BerthOciLifecycleTest, ExecJoinsEveryNamespaceAndTheCgroup) {
  std::string id = UniqueName();
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), BusyboxSpec({"sleep", "60"})));
  ASSERT_EQ(Oci({"run", "--detach", "--bundle", dir_.path(), id}).exit_code, 0);
  int init = nlohmann::json::parse(Oci({"state", id}).out)["pid"];

  RunResult r = Oci({"exec", id, "sh", "-c",
                     "echo $$; hostname; for ns in pid mnt net uts ipc cgroup; do "
                     "readlink /proc/self/ns/$ns; done; exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 8u) << r.out;
  EXPECT_NE(lines[0], "1");  // a new process beside the init, in its pid namespace
  EXPECT_EQ(lines[1], "berth-test");
  const char* kNamespaces[] = {"pid", "mnt", "net", "uts", "ipc", "cgroup"};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(lines[2 + i], ReadLink(absl::StrCat("/proc/", init, "/ns/", kNamespaces[i])))
        << kNamespaces[i];
  }

  // A detached exec sits in the container's cgroups, every hierarchy.
  std::string pid_file = state_ / "exec.pid";
  ASSERT_EQ(Oci({"exec", "--detach", "--pid-file", pid_file, id, "sleep", "30"}).exit_code, 0);
  int exec_pid = std::stoi(ReadWhole(pid_file));
  EXPECT_EQ(ReadWhole(absl::StrCat("/proc/", exec_pid, "/cgroup")),
            ReadWhole(absl::StrCat("/proc/", init, "/cgroup")));
  RunResult ps = Oci({"ps", "--format", "json", id});
  EXPECT_EQ(nlohmann::json::parse(ps.out).size(), 2u) << ps.out;

  ASSERT_EQ(Oci({"delete", "--force", id}).exit_code, 0);
  // Killed with the container (a zombie at most, until its new parent reaps it).
  std::string stat = ReadWhole(absl::StrCat("/proc/", exec_pid, "/stat"));
  EXPECT_TRUE(stat.empty() || stat.find(") Z ") != std::string::npos) << stat;
}

// Accepts one connection on `listener` and receives the fd sent over it (runc's
// console-socket protocol); -1 after `seconds`.
int AcceptFd(int listener, int seconds) {
  pollfd ready{listener, POLLIN, 0};
  if (::poll(&ready, 1, seconds * 1000) != 1) return -1;
  int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return -1;
  char name[128];
  size_t name_size = 0;
  int fd = oci::ReceiveFd(conn, name, sizeof(name), &name_size);
  ::close(conn);
  return fd < 0 ? -1 : fd;
}

TEST_F(BerthOciLifecycleTest, TerminalMasterGoesToTheConsoleSocket) {
  std::string socket_path = state_ / "console.sock";
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);

  std::string id = UniqueName();
  oci::Spec spec = BusyboxSpec(
      {"sh", "-c", "test -t 0 && test -t 1 && echo tty-ok; stty size; readlink /proc/self/fd/0"});
  spec.process->terminal = true;
  spec.process->console_size = oci::ConsoleSize{30, 100};
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  RunResult created = Oci({"create", "--bundle", dir_.path(), "--console-socket", socket_path, id});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  int master = AcceptFd(listener, 10);
  ::close(listener);
  ASSERT_GE(master, 0);
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  std::string out;
  for (;;) {  // until the slave side closes (EIO)
    pollfd ready{master, POLLIN, 0};
    if (::poll(&ready, 1, 10000) != 1) break;
    char buffer[256];
    ssize_t n = ::read(master, buffer, sizeof(buffer));
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(master);
  EXPECT_THAT(out, HasSubstr("tty-ok\r\n30 100\r\n/dev/pts/0"));
  EXPECT_EQ(Oci({"delete", "--force", id}).exit_code, 0);

  // No terminal, or a terminal without a socket: refused, as runc does.
  RunResult no_socket = Oci({"create", "--bundle", dir_.path(), UniqueName()});
  EXPECT_THAT(no_socket.err, HasSubstr("a terminal needs --console-socket"));
}

TEST_F(BerthOciTest, SysctlWritesMustReachProcfs) {
  // A bind mount puts a plain file where the sysctl should be: the write is refused and
  // the file untouched.
  TestDir fake;
  std::filesystem::create_directories(fake / "net/ipv4");
  std::ofstream(fake / "net/ipv4/ip_forward") << "0";
  oci::Spec spec = BusyboxSpec({"true"});
  spec.mounts.push_back({"/proc/sys", "bind", fake.path(), {"rbind"}});
  spec.linux_config.sysctl["net.ipv4.ip_forward"] = "1";
  RunResult r = RunBundle(spec);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("sysctl is not on procfs: /proc/sys/net/ipv4/ip_forward"));
  EXPECT_EQ(ReadWhole(fake / "net/ipv4/ip_forward"), "0");

  // Without the decoy the same sysctl lands in the container's network namespace only.
  oci::Spec real = BusyboxSpec({"cat", "/proc/sys/net/ipv4/ip_forward"});
  real.linux_config.sysctl["net.ipv4.ip_forward"] = "1";
  std::string host_before = ReadWhole("/proc/sys/net/ipv4/ip_forward");
  RunResult ok = RunBundle(real);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "1\n");
  EXPECT_EQ(ReadWhole("/proc/sys/net/ipv4/ip_forward"), host_before);
}

TEST_F(BerthOciTest, DevAsALinkIsContainedInTheRoot) {
  TestDir outside;
  std::filesystem::remove(dir_ / "rootfs/dev");
  std::filesystem::create_symlink("/../../../.." + outside.path(), dir_ / "rootfs/dev");
  RunResult r = RunShell("echo x > /dev/null && echo ok");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_TRUE(std::filesystem::is_empty(outside.path()));  // no nodes made outside
}

// CVE-2019-5736 in a pod's shape: container B joins container A's pid namespace while
// A is created but not started, so A's init (pid 1 there) is still berth-oci's image.
// B keeps /proc/1/exe open, waits until no berth-oci process runs (A started, every
// berth-oci command exited), then writes through what it kept. Everything runs a copy
// of berth-oci, so that a missing guard damages the copy, never the build's binary.
class BerthOciSealedExeTest : public BerthOciTest {
 protected:
  struct Attack {
    std::string exe_seen;  // /proc/1/exe as B read it
    std::string writes;    // what B's writes through its fd did
    bool copy_changed = false;
  };

  // Runs the attack against a fresh copy of berth-oci run with `env` ("K=V").
  Attack RunAttack(const std::vector<std::string>& env) {
    Attack attack;
    std::string runtime = bin_ / "berth-oci";
    std::filesystem::copy_file(BERTH_TEST_BERTH_OCI, runtime);
    absl::StatusOr<std::string> before = ReadFileText(runtime);
    if (!before.ok()) return attack;
    auto oci = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {runtime, "--root", state_.path()});
      return RunCommand(args, env);
    };
    std::string a = UniqueName(), b = UniqueName();
    BERTH_EXPECT_OK(WriteBundleConfig(dir_.path(), BusyboxSpec({"sleep", "60"})));
    absl::Cleanup remove_containers = [&] {
      for (const std::string& id : {b, a}) {  // with the build's binary: the copy may be gone
        RunCommand({BERTH_TEST_BERTH_OCI, "--root", state_.path(), "delete", "--force", id});
      }
    };
    RunResult created = oci({"create", "--bundle", dir_.path(), a});
    EXPECT_EQ(created.exit_code, 0) << created.err;
    RunResult state = oci({"state", a});
    if (state.exit_code != 0) return attack;
    int pid = nlohmann::json::parse(state.out)["pid"].get<int>();

    EXPECT_TRUE(MakeBusyboxRootfs(pod_.path()).ok());
    oci::Spec spec = BusyboxSpec({"sh", "-c",
                                  "exec > /out/log 2>&1; readlink /proc/1/exe > /out/exe; "
                                  "exec 3< /proc/1/exe; touch /out/ready; "
                                  "while test ! -e /out/go; do sleep 0.05; done; "
                                  "echo -n PWNED > /proc/self/fd/3 "
                                  "  && echo trunc=wrote || echo trunc=refused; "
                                  "echo -n PWNED 1<> /proc/self/fd/3 "
                                  "  && echo rdwr=wrote || echo rdwr=refused; touch /out/done"});
    for (oci::Namespace& ns : spec.linux_config.namespaces) {
      if (ns.type == "pid") ns.path = absl::StrCat("/proc/", pid, "/ns/pid");
    }
    spec.mounts.push_back({"/out", "bind", out_.path(), {"rbind"}});
    EXPECT_TRUE(WriteBundleConfig(pod_.path(), spec).ok());
    RunResult ran = oci({"run", "--detach", "--bundle", pod_.path(), b});
    EXPECT_EQ(ran.exit_code, 0) << ran.err;
    EXPECT_TRUE(WaitFor(out_ / "ready"));

    RunResult started = oci({"start", a});
    EXPECT_EQ(started.exit_code, 0) << started.err;
    std::string comm;  // A's init leaves berth-oci's image when it execs sleep
    for (int i = 0; i < 500 && comm != "sleep"; ++i) {
      std::ifstream(absl::StrCat("/proc/", pid, "/comm")) >> comm;
      if (comm != "sleep") ::usleep(10000);
    }
    EXPECT_EQ(comm, "sleep");
    std::ofstream(out_ / "go").flush();
    EXPECT_TRUE(WaitFor(out_ / "done")) << ReadFileText(out_ / "log").value_or("");
    attack.exe_seen = ReadFileText(out_ / "exe").value_or("");
    attack.writes = ReadFileText(out_ / "log").value_or("");
    std::move(remove_containers).Invoke();
    attack.copy_changed = ReadFileText(runtime).value_or("") != *before;
    return attack;
  }

  static bool WaitFor(const std::string& path) {
    for (int i = 0; i < 1000; ++i) {
      if (std::filesystem::exists(path)) return true;
      ::usleep(10000);
    }
    return false;
  }

  TestDir bin_, state_, pod_, out_;
};

// The default guard: berth-oci runs from a read-only overlay view of its binary.
TEST_F(BerthOciSealedExeTest, ContainerCannotOverwriteTheRuntimeThroughProcExe) {
  absl::StatusOr<std::string> build_binary = ReadFileText(BERTH_TEST_BERTH_OCI);
  ASSERT_TRUE(build_binary.ok());
  Attack attack = RunAttack({});
  EXPECT_EQ(attack.exe_seen, "/berth-oci\n");  // its path in an overlay attached nowhere
  EXPECT_EQ(attack.writes,
            "sh: can't create /proc/self/fd/3: Read-only file system\ntrunc=refused\n"
            "sh: can't create /proc/self/fd/3: Read-only file system\nrdwr=refused\n");
  EXPECT_FALSE(attack.copy_changed);
  EXPECT_EQ(ReadFileText(BERTH_TEST_BERTH_OCI).value_or(""), *build_binary);
}

// The fallback guard, where the overlay cannot be made: a sealed memfd copy.
TEST_F(BerthOciSealedExeTest, ContainerCannotOverwriteTheSealedCopy) {
  absl::StatusOr<std::string> build_binary = ReadFileText(BERTH_TEST_BERTH_OCI);
  ASSERT_TRUE(build_binary.ok());
  Attack attack = RunAttack({"BERTH_OCI_SEAL=copy"});
  EXPECT_EQ(attack.exe_seen, "/memfd:berth-oci (deleted)\n");
  // EPERM from the seals (not ETXTBSY: nothing runs the copy any more).
  EXPECT_EQ(attack.writes,
            "sh: can't create /proc/self/fd/3: Operation not permitted\ntrunc=refused\n"
            "sh: write error: Operation not permitted\nrdwr=refused\n");
  EXPECT_FALSE(attack.copy_changed);
  EXPECT_EQ(ReadFileText(BERTH_TEST_BERTH_OCI).value_or(""), *build_binary);
}

// The control: the same attack against an unguarded berth-oci does overwrite it.
TEST_F(BerthOciSealedExeTest, WithoutTheGuardTheAttackOverwritesTheRuntime) {
  Attack attack = RunAttack({"BERTH_OCI_UNSAFE_NO_SEAL=1"});
  EXPECT_EQ(attack.exe_seen, bin_ / "berth-oci\n");
  EXPECT_EQ(attack.writes, "trunc=wrote\nrdwr=wrote\n");
  EXPECT_TRUE(attack.copy_changed);
}

TEST_F(BerthOciTest, PreservedFdsReachTheProcessAndNoOthers) {
  BERTH_ASSERT_OK(WriteBundleConfig(
      dir_.path(), BusyboxSpec({"sh", "-c", "echo via-fd3 >&3 && echo wrote || echo no-fd3"})));
  std::string sink = dir_ / "fd3.out";
  auto run_with_fd3 = [&](const std::string& extra) {
    // The shell puts a host file at fd 3 of berth-oci, as a caller passing fds would.
    return RunCommand({"/bin/sh", "-c",
                       absl::StrCat("exec 3>", sink, "; exec ", BERTH_TEST_BERTH_OCI, " run ",
                                    extra, " --bundle ", dir_.path(), " ", UniqueName())});
  };
  RunResult passed = run_with_fd3("--preserve-fds 1");
  ASSERT_EQ(passed.exit_code, 0) << passed.err;
  EXPECT_EQ(passed.out, "wrote\n");
  EXPECT_EQ(ReadWhole(sink), "via-fd3\n");

  RunResult closed = run_with_fd3("");
  ASSERT_EQ(closed.exit_code, 0) << closed.err;
  EXPECT_EQ(closed.out, "no-fd3\n");  // not inherited without --preserve-fds
}

oci::Hook ShellHook(const std::string& script, std::optional<int> timeout = std::nullopt) {
  oci::Hook hook;
  hook.path = "/bin/sh";
  hook.args = {"sh", "-c", script};
  hook.env = {"PATH=/usr/bin:/bin"};
  hook.timeout = timeout;
  return hook;
}

TEST_F(BerthOciLifecycleTest, HooksRunAtTheirMomentsWithTheState) {
  TestDir out;
  std::string id = UniqueName();
  oci::Spec spec =
      BusyboxSpec({"sh", "-c", "readlink /proc/self/ns/pid > /hookout/main-pidns; echo main"});
  spec.mounts.push_back({"/hookout", "bind", out.path(), {"rbind"}});
  spec.hooks.create_runtime = {ShellHook("cat > " + (out / "createRuntime.json"))};
  // In the container's namespaces, before pivot_root: the host's paths, its hostname.
  spec.hooks.create_container = {ShellHook("cat > " + (out / "createContainer.json") +
                                           "; hostname > " + (out / "cc-host") +
                                           "; readlink /proc/self/ns/pid > " + (out / "cc-pidns"))};
  // In the container after pivot_root: the container's own /bin/sh and mounts.
  spec.hooks.start_container = {ShellHook(
      "cat > /hookout/startContainer.json; readlink /proc/self/ns/pid > /hookout/sc-pidns")};
  spec.hooks.poststart = {ShellHook("cat > " + (out / "poststart.json"))};
  spec.hooks.poststop = {ShellHook("cat > " + (out / "poststop.json"))};
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  RunResult r = Oci({"run", "--bundle", dir_.path(), id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "main\n");
  const std::pair<const char*, const char*> kWant[] = {{"createRuntime", "creating"},
                                                       {"createContainer", "creating"},
                                                       {"startContainer", "created"},
                                                       {"poststart", "running"},
                                                       {"poststop", "stopped"}};
  for (const auto& [phase, status] : kWant) {
    std::string text = ReadWhole(out / (std::string(phase) + ".json"));
    ASSERT_FALSE(text.empty()) << phase;
    auto state = nlohmann::json::parse(text);
    EXPECT_EQ(state["id"], id) << phase;
    EXPECT_EQ(state["status"], status) << phase;
    EXPECT_EQ(state["bundle"], dir_.path()) << phase;
  }
  EXPECT_EQ(ReadWhole(out / "cc-host"), "berth-test\n");
  // The container's hooks are in its pid namespace too, not only its other ones.
  std::string container_pidns = ReadWhole(out / "main-pidns");
  EXPECT_NE(container_pidns, ReadLink("/proc/self/ns/pid") + "\n");
  EXPECT_EQ(ReadWhole(out / "cc-pidns"), container_pidns);
  EXPECT_EQ(ReadWhole(out / "sc-pidns"), container_pidns);
}

TEST_F(BerthOciLifecycleTest, FailingOrSlowCreateHooksStopTheCreate) {
  oci::Spec spec = BusyboxSpec({"true"});
  spec.hooks.create_runtime = {ShellHook("exit 3")};
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  std::string id = UniqueName();
  RunResult failed = Oci({"create", "--bundle", dir_.path(), id});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_THAT(failed.err, HasSubstr("createRuntime hook /bin/sh exited with 3"));
  EXPECT_EQ(Oci({"list", "-q"}).out, "");
  EXPECT_FALSE(std::filesystem::exists(CgroupDirOf("pids", id)));

  spec.hooks.create_runtime = {ShellHook("sleep 5", /*timeout=*/1)};
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  RunResult slow = Oci({"create", "--bundle", dir_.path(), UniqueName()});
  EXPECT_EQ(slow.exit_code, 1);
  EXPECT_THAT(slow.err, HasSubstr("createRuntime hook /bin/sh timed out after 1s"));
  EXPECT_EQ(Oci({"list", "-q"}).out, "");
}

// A berth-oci killed while a createContainer hook runs leaves no init waiting for it:
// nothing that outlives berth-oci (the hook, the process waiting for it in the pid
// namespace) holds the pipe the init waits on.
TEST_F(BerthOciLifecycleTest, InitEndsWhenTheRuntimeDiesDuringACreateHook) {
  TestDir out;
  std::string name = UniqueName();
  oci::Spec spec = BusyboxSpec({"true"});
  spec.linux_config.cgroups_path = name;
  spec.hooks.create_container = {ShellHook("cat > " + (out / "state.json") + "; sleep 30")};
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  absl::Cleanup remove_cgroups = [&] {
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
      std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
      if (f.size() != 3 || absl::StartsWith(f[1], "name=")) continue;
      std::string mount = !f[1].empty() ? "/sys/fs/cgroup/" + f[1]
                          : std::filesystem::exists("/sys/fs/cgroup/unified")
                              ? "/sys/fs/cgroup/unified"
                              : "/sys/fs/cgroup";
      std::string dir = mount + f[2] + "/" + name;
      for (int i = 0; i < 50 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  };
  // Killed (SIGKILL) after 3 s, while the hook sleeps.
  RunResult r = RunCommand(
      {BERTH_TEST_BERTH_OCI, "--root", state_.path(), "create", "--bundle", dir_.path(), name}, {},
      std::chrono::seconds(3));
  EXPECT_EQ(r.exit_code, -1);
  std::string state = ReadWhole(out / "state.json");
  ASSERT_FALSE(state.empty()) << "the hook did not run";
  int init = nlohmann::json::parse(state)["pid"];
  ASSERT_GT(init, 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::string stat = ReadWhole(absl::StrCat("/proc/", init, "/stat"));
    gone = stat.empty() || stat.find(") Z ") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone) << "the container's init " << init << " still waits";
  if (!gone) ::kill(init, SIGKILL);  // ends the hook with it: its pid namespace goes
}

TEST_F(BerthOciTest, HugeUidIsRejectedBeforeAnythingRuns) {
  std::string config = oci::SerializeSpec(BusyboxSpec({"true"}));
  size_t at = config.find("\"uid\": 0");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, 8, "\"uid\": 4294967295");
  std::ofstream(dir_ / "config.json") << config;
  RunResult r = RunCommand({BERTH_TEST_BERTH_OCI, "run", "--bundle", dir_.path(), UniqueName()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("process.user.uid"));
}

}  // namespace
}  // namespace berth::testing
