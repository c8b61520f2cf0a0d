// berth-oci's systemd cgroup driver against a real systemd: containers in transient scope
// units, their limits, pause, exec and delete. Needs systemd as the manager and cgroup v2
// (it reads the scope's v2 files): CI runs it in the cgroup v2 guest beside a systemd of
// its own (with_systemd.sh); elsewhere it is skipped. The driver's v1 and hybrid half is
// tested in shim/oci/cgroups/cgroup_systemd_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/busybox_bundle.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Trimmed(const std::string& text) {
  return std::string(absl::StripAsciiWhitespace(text));
}

// `systemctl is-active <unit>`: "active", "inactive", "failed"…
std::string UnitState(const std::string& unit) {
  return Trimmed(RunCommand({"/bin/systemctl", "is-active", unit}).out);
}

class BerthOciSystemdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (!std::filesystem::exists("/run/systemd/system")) {
      GTEST_SKIP() << "systemd is not the manager here (CI runs this beside one, in the "
                      "cgroup v2 guest)";
    }
    if (!std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers")) {
      GTEST_SKIP() << "this test reads cgroup v2 files";
    }
    BERTH_ASSERT_OK(MakeBusyboxRootfs(bundle_.path()));
  }

  void TearDown() override {
    for (const std::string& id : ids_) (void)Oci({"delete", "--force", id});
  }

  RunResult Oci(std::vector<std::string> args) { return RunBerthOci(state_.path(), args); }

  // `berth-oci --systemd-cgroup run -d` of `spec`; returns the container's id.
  std::string RunDetached(const oci::Spec& spec, RunResult* result) {
    std::string id = UniqueName();
    ids_.push_back(id);
    BERTH_EXPECT_OK(WriteBundleConfig(bundle_.path(), spec));
    *result = Oci({"--systemd-cgroup", "run", "-d", "--bundle", bundle_.path(), id});
    return id;
  }

  std::string InitPid(const std::string& id) {
    RunResult state = Oci({"state", id});
    auto at = state.out.find("\"pid\":");
    if (at == std::string::npos) return "";
    std::string rest = state.out.substr(at + 6);
    return Trimmed(rest.substr(0, rest.find_first_of(",}")));
  }

  TestDir bundle_, state_;
  std::vector<std::string> ids_;
};

TEST_F(BerthOciSystemdTest, ContainerRunsInAScopeWithItsLimitsUntilDeleted) {
  std::string name = UniqueName();
  oci::Spec spec = BusyboxSpec({"sleep", "300"});
  spec.linux_config.cgroups_path = "system.slice:berth-test:" + name;
  spec.linux_config.resources.memory.limit = 64 << 20;
  spec.linux_config.resources.pids.limit = 20;
  RunResult run;
  std::string id = RunDetached(spec, &run);
  ASSERT_EQ(run.exit_code, 0) << run.err;

  const std::string unit = "berth-test-" + name + ".scope";
  const std::string dir = "/sys/fs/cgroup/system.slice/" + unit;
  EXPECT_EQ(UnitState(unit), "active");
  std::string pid = InitPid(id);
  ASSERT_FALSE(pid.empty());
  EXPECT_EQ(ReadText("/proc/" + pid + "/cgroup"), "0::/system.slice/" + unit + "\n");
  EXPECT_EQ(Trimmed(ReadText(dir + "/memory.max")), std::to_string(64 << 20));
  EXPECT_EQ(Trimmed(ReadText(dir + "/pids.max")), "20");
  // systemd holds the same limits, so re-applying the unit keeps them.
  RunResult shown = RunCommand({"/bin/systemctl", "show", "-p", "MemoryMax,TasksMax", unit});
  EXPECT_THAT(shown.out, HasSubstr(absl::StrCat("MemoryMax=", 64 << 20)));
  EXPECT_THAT(shown.out, HasSubstr("TasksMax=20"));

  // exec joins the scope's cgroup.
  std::string pid_file = state_.path() + "/exec.pid";
  RunResult exec = Oci({"exec", "--detach", "--pid-file", pid_file, id, "sleep", "30"});
  ASSERT_EQ(exec.exit_code, 0) << exec.err;
  EXPECT_EQ(ReadText("/proc/" + Trimmed(ReadText(pid_file)) + "/cgroup"),
            "0::/system.slice/" + unit + "\n");

  // pause and resume freeze and thaw the scope's cgroup.
  ASSERT_EQ(Oci({"pause", id}).exit_code, 0);
  EXPECT_THAT(ReadText(dir + "/cgroup.events"), HasSubstr("frozen 1"));
  EXPECT_EQ(BerthOciStatus(state_.path(), id), "paused");
  ASSERT_EQ(Oci({"resume", id}).exit_code, 0);
  EXPECT_THAT(ReadText(dir + "/cgroup.events"), HasSubstr("frozen 0"));

  ASSERT_EQ(Oci({"kill", id, "KILL"}).exit_code, 0);
  for (int i = 0; i < 100 && BerthOciStatus(state_.path(), id) != "stopped"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  RunResult deleted = Oci({"delete", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_NE(UnitState(unit), "active");
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

TEST_F(BerthOciSystemdTest, DefaultPathIsAScopeNamedAfterTheContainer) {
  oci::Spec spec = BusyboxSpec({"sleep", "300"});
  RunResult run;
  std::string id = RunDetached(spec, &run);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string unit = "berth-oci-" + id + ".scope";
  EXPECT_EQ(UnitState(unit), "active");
  EXPECT_EQ(ReadText("/proc/" + InitPid(id) + "/cgroup"), "0::/system.slice/" + unit + "\n");
  EXPECT_EQ(Oci({"delete", "--force", id}).exit_code, 0);
  EXPECT_NE(UnitState(unit), "active");
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/system.slice/" + unit));
}

TEST_F(BerthOciSystemdTest, MemoryHogIsOomKilledInItsScope) {
  oci::Spec spec = BusyboxSpec({"sh", "-c", "head -c 200000000 /dev/zero | tail > /dev/null"});
  spec.linux_config.cgroups_path = "system.slice:berth-test:" + UniqueName();
  spec.linux_config.resources.memory.limit = 32 << 20;
  BERTH_ASSERT_OK(WriteBundleConfig(bundle_.path(), spec));
  std::string id = UniqueName();
  ids_.push_back(id);
  RunResult r = Oci({"--systemd-cgroup", "run", "--bundle", bundle_.path(), id});
  EXPECT_EQ(r.exit_code, 137) << r.out << r.err;
}

TEST_F(BerthOciSystemdTest, ASecondContainerInTheSameScopeFailsAndLeavesTheFirst) {
  std::string name = UniqueName();
  oci::Spec spec = BusyboxSpec({"sleep", "300"});
  spec.linux_config.cgroups_path = "system.slice:berth-test:" + name;
  RunResult first;
  std::string first_id = RunDetached(spec, &first);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  RunResult second;
  RunDetached(spec, &second);
  EXPECT_NE(second.exit_code, 0);
  EXPECT_THAT(second.err, HasSubstr("berth-test-" + name + ".scope"));
  // The failed create stopped nothing of the first container's.
  EXPECT_EQ(UnitState("berth-test-" + name + ".scope"), "active");
  EXPECT_EQ(BerthOciStatus(state_.path(), first_id), "running");
}

TEST_F(BerthOciSystemdTest, FlagWantsTheSystemdForm) {
  oci::Spec spec = BusyboxSpec({"true"});
  spec.linux_config.cgroups_path = "/berth-test/" + UniqueName();
  RunResult run;
  std::string id = RunDetached(spec, &run);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.err, HasSubstr("slice:prefix:name"));
  EXPECT_THAT(BerthOciStatus(state_.path(), id), HasSubstr("error"));  // nothing was kept
}

}  // namespace
}  // namespace berth::testing
