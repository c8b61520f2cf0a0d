// berth-oci run against a real busybox bundle: a "cgroup" mount shows the container its
// own cgroups, read-only when asked. On v1 and hybrid hosts that is a tmpfs with each
// hierarchy's container directory bound in it (runc's layout); on a pure v2 host a
// cgroup2 mount rooted at the container's cgroup by its cgroup namespace.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_matchers.h"
#include "shim/oci/cgroups/cgroup_layout.h"
#include "shim/oci/cgroups/cgroup_path.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/busybox_bundle.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::Contains;
using ::testing::UnorderedElementsAreArray;

constexpr int64_t kMemoryLimit = 48 << 20;
constexpr int64_t kPidsLimit = 37;

// Runs in the container: "key=value" lines the test reads back.
constexpr char kV1Script[] = R"sh(cd /sys/fs/cgroup
echo "memory=$(cat memory/memory.limit_in_bytes)"
echo "pids=$(cat pids/pids.max)"
echo "entries=" $(ls)
for e in $(ls);
do test - L $e&& echo "link:$e=$(readlink $e)"; done
grep -qx $$ memory/cgroup.procs && echo "procs=listed"
echo 5 > pids/pids.max && echo "write=done" || echo "write=refused"
mkdir new 2>/dev/null && echo "mkdir=done" || echo "mkdir=refused"
true)sh";

constexpr char kV2Script[] = R"sh(cd /sys/fs/cgroup
echo "memory=$(cat memory.max)"
echo "pids=$(cat pids.max)"
grep -qx $$ cgroup.procs && echo "procs=listed"
echo 5 > pids.max && echo "write=done" || echo "write=refused"
true)sh";

bool HostIsPureV2() {
  struct statfs fs {};
  return ::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

std::map<std::string, std::string> KeyValues(const std::string& text) {
  std::map<std::string, std::string> values;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (kv.size() == 2) values[kv[0]] = kv[1];
  }
  return values;
}

std::string LastComponent(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

class BerthOciCgroupMountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_ASSERT_OK(MakeBusyboxRootfs(dir_.path()));
    absl::StatusOr<oci::CgroupLayout> layout = oci::DetectCgroupLayout();
    BERTH_ASSERT_OK(layout);
    layout_ = *layout;
  }

  // The busybox spec with runc's (and Docker's) cgroup mount, the test's limits and a
  // cgroupsPath of its own.
  oci::Spec LimitedSpec(const std::vector<std::string>& args, const std::string& cgroup) {
    oci::Spec spec = BusyboxSpec(args);
    std::erase_if(spec.mounts, [](const oci::Mount& m) { return m.type == "cgroup"; });
    spec.mounts.push_back(
        {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}});
    spec.linux_config.cgroups_path = cgroup;
    spec.linux_config.resources.memory.limit = kMemoryLimit;
    spec.linux_config.resources.pids.limit = kPidsLimit;
    return spec;
  }

  RunResult Oci(std::vector<std::string> args) { return RunBerthOci(state_.path(), args); }

  // The host directories of relative cgroupsPath `name` (nested under this process'
  // cgroups, as berth-oci, our child, nests it).
  std::vector<std::string> HostDirectories(const std::string& name) const {
    std::vector<std::string> dirs;
    for (const oci::CgroupHierarchy& h : layout_.v1_hierarchies) {
      dirs.push_back(
          oci::CgroupDirectory(h.mountpoint, h.root, oci::NestCgroupPath(h.own_path, name)));
    }
    if (!layout_.unified_mountpoint.empty()) {
      dirs.push_back(oci::CgroupDirectory(layout_.unified_mountpoint, layout_.unified_root,
                                          oci::NestCgroupPath(layout_.unified_own_path, name)));
    }
    return dirs;
  }

  // What the container's /sys/fs/cgroup must list on a v1 or hybrid host: a directory
  // per controller hierarchy, named as here, a link for each co-mounted controller, and
  // the v2 tree beside them.
  std::vector<std::string> ExpectedV1Entries() const {
    std::set<std::string> entries;
    for (const oci::CgroupHierarchy& h : layout_.v1_hierarchies) {
      entries.insert(LastComponent(h.mountpoint));
      for (const std::string& controller : h.controllers) entries.insert(controller);
    }
    if (!layout_.unified_mountpoint.empty()) {
      entries.insert(LastComponent(layout_.unified_mountpoint));
    }
    return {entries.begin(), entries.end()};
  }

  oci::CgroupLayout layout_;
  TestDir dir_, state_;
};

TEST_F(BerthOciCgroupMountTest, ContainerSeesItsOwnLimitsReadOnly) {
  const bool v2 = HostIsPureV2();
  std::string cgroup = UniqueName();
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(),
                                    LimitedSpec({"sh", "-c", v2 ? kV2Script : kV1Script}, cgroup)));
  RunResult r = Oci({"run", "--bundle", dir_.path(), UniqueName()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::map<std::string, std::string> seen = KeyValues(r.out);

  EXPECT_EQ(seen["memory"], absl::StrCat(kMemoryLimit)) << r.out << r.err;
  EXPECT_EQ(seen["pids"], absl::StrCat(kPidsLimit)) << r.out << r.err;
  EXPECT_EQ(seen["procs"], "listed") << r.out;
  EXPECT_EQ(seen["write"], "refused") << r.out;
  if (!v2) {
    EXPECT_EQ(seen["mkdir"], "refused") << r.out;
    std::vector<std::string> entries = absl::StrSplit(seen["entries"], ' ', absl::SkipEmpty());
    EXPECT_THAT(entries, UnorderedElementsAreArray(ExpectedV1Entries())) << r.out;
    // Co-mounted controllers are links to their hierarchy's directory, as on the host.
    for (const oci::CgroupHierarchy& h : layout_.v1_hierarchies) {
      const std::string name = LastComponent(h.mountpoint);
      for (const std::string& controller : h.controllers) {
        if (controller == name) continue;
        EXPECT_EQ(seen["link:" + controller], name) << r.out;
      }
    }
    const oci::CgroupHierarchy* cpu = layout_.FindHierarchy("cpu");
    if (cpu != nullptr && cpu->controllers.size() > 1) {
      EXPECT_EQ(seen["link:cpu"], LastComponent(cpu->mountpoint)) << r.out;
    }
  }
  // `run` removed the container's cgroup on its way out.
  for (const std::string& dir : HostDirectories(cgroup)) {
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  }
}

// Without "ro" the binds are the container's cgroup itself: a limit it writes is the
// one its cgroup has on the host. (Not on v2: where the hierarchy is mounted nsdelegate,
// as systemd and the cgroup v2 guest mount it, a cgroup namespace's root may not set its
// own limits, whatever the mount.)
TEST_F(BerthOciCgroupMountTest, WritableMountIsTheContainersOwnCgroup) {
  if (HostIsPureV2()) GTEST_SKIP() << "v1 and hybrid hosts only";
  std::string cgroup = UniqueName();
  oci::Spec spec =
      LimitedSpec({"sh", "-c", "echo 21 > /sys/fs/cgroup/pids/pids.max; sleep 60"}, cgroup);
  for (oci::Mount& m : spec.mounts) {
    if (m.type == "cgroup") m.options = {"nosuid", "noexec", "nodev", "relatime"};
  }
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  std::string id = UniqueName();
  ASSERT_EQ(Oci({"run", "--detach", "--bundle", dir_.path(), id}).exit_code, 0);
  const oci::CgroupHierarchy* pids = layout_.FindHierarchy("pids");
  ASSERT_NE(pids, nullptr);
  const std::string host_file = oci::CgroupDirectory(pids->mountpoint, pids->root,
                                                     oci::NestCgroupPath(pids->own_path, cgroup)) +
                                "/pids.max";
  std::string limit;
  for (int i = 0; i < 200 && limit != "21"; ++i) {
    std::ifstream(host_file) >> limit;
    if (limit != "21") ::usleep(10000);
  }
  EXPECT_EQ(Oci({"delete", "--force", id}).exit_code, 0);
  EXPECT_EQ(limit, "21") << host_file;
  for (const std::string& dir : HostDirectories(cgroup)) {
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  }
}

TEST_F(BerthOciCgroupMountTest, ExecedProcessSeesTheSameCgroups) {
  const bool v2 = HostIsPureV2();
  std::string cgroup = UniqueName();
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), LimitedSpec({"sleep", "60"}, cgroup)));
  std::string id = UniqueName();
  ASSERT_EQ(Oci({"run", "--detach", "--bundle", dir_.path(), id}).exit_code, 0);
  RunResult pids =
      Oci({"exec", id, "cat", v2 ? "/sys/fs/cgroup/pids.max" : "/sys/fs/cgroup/pids/pids.max"});
  RunResult procs = Oci(
      {"exec", id, "cat", v2 ? "/sys/fs/cgroup/cgroup.procs" : "/sys/fs/cgroup/pids/cgroup.procs"});
  EXPECT_EQ(Oci({"delete", "--force", id}).exit_code, 0);
  ASSERT_EQ(pids.exit_code, 0) << pids.err;
  EXPECT_EQ(pids.out, absl::StrCat(kPidsLimit, "\n"));
  // The init (pid 1 in its namespace) and the exec'd cat.
  std::vector<std::string> listed = absl::StrSplit(procs.out, '\n', absl::SkipEmpty());
  EXPECT_THAT(listed, Contains("1")) << procs.out;
  EXPECT_EQ(listed.size(), 2u) << procs.out;
  for (const std::string& dir : HostDirectories(cgroup)) {
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  }
}

}  // namespace
}  // namespace berth::testing
