// berth-oci run against a real busybox bundle for the linux.* options that change what
// the kernel shows the container: personality, time namespace offsets, recursive mount
// attributes, and the /dev/null that masks paths.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/busybox_bundle.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The first field of /proc/uptime text: seconds since boot on CLOCK_BOOTTIME.
double UptimeSeconds(const std::string& text) {
  std::vector<std::string> fields = absl::StrSplit(text, ' ');
  return std::stod(fields[0]);
}

double HostUptimeSeconds() {
  std::ifstream in("/proc/uptime");
  std::string text;
  std::getline(in, text);
  return UptimeSeconds(text);
}

// The per-mount options (mountinfo's sixth field) of each mount point in `mountinfo`.
std::map<std::string, std::string> MountOptionsByPoint(const std::string& mountinfo) {
  std::map<std::string, std::string> options;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 5) options[fields[4]] = fields[5];
  }
  return options;
}

class BerthOciLinuxOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override { BERTH_ASSERT_OK(MakeBusyboxRootfs(dir_.path())); }

  RunResult RunBundle(const oci::Spec& spec) {
    if (!WriteBundleConfig(dir_.path(), spec).ok()) return {};
    return Oci({"run", "--bundle", dir_.path(), UniqueName()});
  }
  RunResult Oci(std::vector<std::string> args) { return RunBerthOci(state_.path(), args); }

  TestDir dir_, state_;
};

TEST_F(BerthOciLinuxOptionsTest, Linux32PersonalityChangesTheMachineUnameReports) {
  utsname host{};
  ASSERT_EQ(::uname(&host), 0);
  if (std::string(host.machine) != "x86_64") GTEST_SKIP() << "needs an x86_64 kernel";
  oci::Spec spec = BusyboxSpec({"busybox", "uname", "-m"});
  RunResult native = RunBundle(spec);
  ASSERT_EQ(native.exit_code, 0) << native.err;
  EXPECT_EQ(native.out, "x86_64\n");

  spec.linux_config.personality = oci::Personality{"LINUX32", {}};
  RunResult linux32 = RunBundle(spec);
  ASSERT_EQ(linux32.exit_code, 0) << linux32.err;
  EXPECT_EQ(linux32.out, "i686\n");  // what x86_64 kernels report under PER_LINUX32

  spec.linux_config.personality = oci::Personality{"LINUX", {}};
  RunResult linux = RunBundle(spec);
  ASSERT_EQ(linux.exit_code, 0) << linux.err;
  EXPECT_EQ(linux.out, "x86_64\n");
}

TEST_F(BerthOciLinuxOptionsTest, BoottimeOffsetShowsInTheContainersUptime) {
  // `read` is the shell's own: the init itself must be in the namespace, not only the
  // processes it starts (older kernels, e.g. 6.1, do not move it there at exec).
  oci::Spec spec = BusyboxSpec({"sh", "-c",
                                "read uptime < /proc/uptime; echo $uptime; "
                                "readlink /proc/self/ns/time; cat /proc/self/timens_offsets"});
  spec.linux_config.namespaces.push_back({"time", ""});
  spec.linux_config.time_offsets["boottime"] = {86400, 0};
  spec.linux_config.time_offsets["monotonic"] = {3600, 5};
  double before = HostUptimeSeconds();
  RunResult r = RunBundle(spec);
  double after = HostUptimeSeconds();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << r.out;
  double inside = UptimeSeconds(lines[0]);
  EXPECT_GE(inside, before + 86400) << r.out;
  EXPECT_LE(inside, after + 86400 + 1) << r.out;
  EXPECT_NE(lines[1], std::filesystem::read_symlink("/proc/self/ns/time").string());
  EXPECT_THAT(lines[2], ::testing::MatchesRegex("monotonic +3600 +5"));
  EXPECT_THAT(lines[3], ::testing::MatchesRegex("boottime +86400 +0"));
}

// /proc/keys lists the keys a process may view: its session keyring among them. By
// default (runc's too) the init and exec'd processes are in a new one named after the
// container; --no-new-keyring keeps the caller's.
TEST_F(BerthOciLinuxOptionsTest, ContainerGetsASessionKeyringOfItsOwn) {
  oci::Spec spec = BusyboxSpec({"sleep", "60"});
  spec.linux_config.masked_paths.clear();  // /proc/keys is masked by default
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  std::string id = UniqueName();
  ASSERT_EQ(Oci({"run", "--detach", "--bundle", dir_.path(), id}).exit_code, 0);
  RunResult exec_keys = Oci({"exec", id, "cat", "/proc/keys"});
  EXPECT_EQ(Oci({"delete", "--force", id}).exit_code, 0);
  ASSERT_EQ(exec_keys.exit_code, 0) << exec_keys.err;
  EXPECT_THAT(exec_keys.out, HasSubstr("_ses." + id + ":")) << exec_keys.out;

  spec.process->args = {"cat", "/proc/keys"};
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  std::string own = UniqueName();
  RunResult fresh = Oci({"run", "--bundle", dir_.path(), own});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_THAT(fresh.out, HasSubstr("_ses." + own + ":")) << fresh.out;
  std::string kept = UniqueName();
  RunResult caller = Oci({"run", "--no-new-keyring", "--bundle", dir_.path(), kept});
  ASSERT_EQ(caller.exit_code, 0) << caller.err;
  EXPECT_THAT(caller.out, Not(HasSubstr("_ses." + kept))) << caller.out;
}

TEST_F(BerthOciLinuxOptionsTest, ExecJoinsTheTimeNamespaceWithItsOffsets) {
  oci::Spec spec = BusyboxSpec({"sleep", "60"});
  spec.linux_config.namespaces.push_back({"time", ""});
  spec.linux_config.time_offsets["boottime"] = {86400, 0};
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  std::string id = UniqueName();
  ASSERT_EQ(Oci({"run", "--detach", "--bundle", dir_.path(), id}).exit_code, 0);
  double before = HostUptimeSeconds();
  RunResult r = Oci({"exec", id, "cat", "/proc/uptime"});
  EXPECT_EQ(Oci({"delete", "--force", id}).exit_code, 0);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(UptimeSeconds(r.out), before + 86400) << r.out;
}

TEST_F(BerthOciLinuxOptionsTest, TimeOffsetsWithoutATimeNamespaceAreRefused) {
  oci::Spec spec = BusyboxSpec({"true"});
  spec.linux_config.time_offsets["boottime"] = {86400, 0};
  RunResult r = RunBundle(spec);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("linux.timeOffsets: needs a new time namespace"));
}

TEST_F(BerthOciLinuxOptionsTest, RecursiveAttributesReachEverySubmountOfABind) {
  // A host tree with a submount, bound with rbind: the r* options must reach both.
  TestDir tree;
  std::filesystem::create_directories(tree / "sub");
  ASSERT_EQ(::mount("berth-rattr-sub", (tree / "sub").c_str(), "tmpfs", 0, "size=64k"), 0);
  absl::Cleanup unmount = [&] { ::umount2((tree / "sub").c_str(), MNT_DETACH); };
  auto options_in_container = [&](const std::vector<std::string>& options) {
    oci::Spec spec = BusyboxSpec({"cat", "/proc/self/mountinfo"});
    spec.mounts.push_back({"/tree", "bind", tree.path(), options});
    RunResult r = RunBundle(spec);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return MountOptionsByPoint(r.out);
  };
  auto flags = [](const std::string& options) -> std::vector<std::string> {
    return absl::StrSplit(options, ',');
  };
  using ::testing::Contains;

  std::map<std::string, std::string> plain = options_in_container({"rbind"});
  ASSERT_EQ(plain.count("/tree/sub"), 1u) << "the submount was not bound";
  EXPECT_THAT(flags(plain["/tree"]), Not(Contains("noexec")));  // nothing from the host
  EXPECT_THAT(flags(plain["/tree/sub"]), Not(Contains("noexec")));

  std::map<std::string, std::string> noexec = options_in_container({"rbind", "rnoexec"});
  EXPECT_THAT(flags(noexec["/tree"]), Contains("noexec"));
  EXPECT_THAT(flags(noexec["/tree/sub"]), Contains("noexec"));

  std::map<std::string, std::string> ro = options_in_container({"rbind", "rro", "rnosuid"});
  EXPECT_THAT(flags(ro["/tree"]), Contains("ro"));
  EXPECT_THAT(flags(ro["/tree/sub"]), Contains("ro"));
  EXPECT_THAT(flags(ro["/tree/sub"]), Contains("nosuid"));

  // The last access-time option wins, on the submount too.
  std::map<std::string, std::string> atime =
      options_in_container({"rbind", "rstrictatime", "rnoatime"});
  EXPECT_THAT(flags(atime["/tree/sub"]), Contains("noatime"));
}

// A bind's own options (not the recursive r* ones) hold on the bind: the kernel ignores
// them at bind time, so they take a remount; an executable there no longer runs.
TEST_F(BerthOciLinuxOptionsTest, BindKeepsItsNosuidNodevNoexec) {
  TestDir tree;
  std::filesystem::copy_file("/bin/busybox", tree / "busybox");
  oci::Spec spec = BusyboxSpec(
      {"sh", "-c", "grep ' /tree ' /proc/self/mountinfo | cut -d' ' -f6; /tree/busybox true"});
  spec.mounts.push_back({"/tree", "bind", tree.path(), {"rbind", "nosuid", "nodev", "noexec"}});
  RunResult r = RunBundle(spec);
  EXPECT_EQ(r.exit_code, 126) << r.out << r.err;  // the shell's "cannot execute"
  std::vector<std::string> flags = absl::StrSplit(absl::StripSuffix(r.out, "\n"), ',');
  EXPECT_THAT(flags, ::testing::IsSupersetOf({"nosuid", "nodev", "noexec"})) << r.out;

  spec.mounts.back().options = {"rbind"};  // the same tree, bound plainly, runs
  spec.process->args = {"/tree/busybox", "true"};
  EXPECT_EQ(RunBundle(spec).exit_code, 0);
}

// The masked paths are covered by binding the container's /dev/null over them. With a
// rootfs that brings its own /dev (no tmpfs there), /dev/null is whatever the image put
// there: a file it controls, or a link to something it wants bound over the masked path
// (CVE-2025-31133's shape). Only the real null device may be used.
class BerthOciMaskedPathSourceTest : public BerthOciLinuxOptionsTest {
 protected:
  oci::Spec SpecWithTheImagesDev() {
    oci::Spec spec = BusyboxSpec({"sh", "-c", "head -c 16 /proc/timer_list; echo ran"});
    std::erase_if(spec.mounts, [](const oci::Mount& m) { return m.destination == "/dev"; });
    return spec;
  }
  void ExpectRefused(const RunResult& r) {
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_THAT(r.out, Not(HasSubstr("ran")));
    EXPECT_THAT(r.err, HasSubstr("/dev/null is not the null device (char 1:3)"));
  }
};

TEST_F(BerthOciMaskedPathSourceTest, RegularFileAsDevNullIsRefused) {
  std::ofstream(dir_ / "rootfs/dev/null") << "image-controlled\n";
  ExpectRefused(RunBundle(SpecWithTheImagesDev()));
}

TEST_F(BerthOciMaskedPathSourceTest, DevNullLinkedToAHostFileIsRefused) {
  TestDir host;
  std::ofstream(host / "secret") << "host-secret\n";
  oci::Spec spec = SpecWithTheImagesDev();
  spec.mounts.push_back({"/host-secret", "bind", host / "secret", {"bind", "ro"}});
  std::filesystem::create_symlink("/host-secret", dir_ / "rootfs/dev/null");
  ExpectRefused(RunBundle(spec));
  EXPECT_EQ(std::filesystem::file_size(host / "secret"), 12u);
}

TEST_F(BerthOciMaskedPathSourceTest, TheImagesRealNullDeviceIsUsed) {
  ASSERT_EQ(::mknod((dir_ / "rootfs/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  RunResult r = RunBundle(SpecWithTheImagesDev());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ran\n");  // /proc/timer_list reads as the empty null device
}

}  // namespace
}  // namespace berth::testing
