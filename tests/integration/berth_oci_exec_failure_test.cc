// How berth-oci reports a process that cannot be exec'd, with create and start as two
// processes (containerd's runc shim drives it that way): a missing executable fails
// `create` in runc's words, and an exec that fails after the fifo is reported by `start`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/busybox_bundle.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

class BerthOciExecFailureTest : public ::testing::Test {
 protected:
  void SetUp() override { BERTH_ASSERT_OK(MakeBusyboxRootfs(dir_.path())); }
  RunResult Oci(std::vector<std::string> args) { return RunBerthOci(state_.path(), args); }
  std::string Status(const std::string& id) { return BerthOciStatus(state_.path(), id); }
  TestDir dir_, state_;
};

TEST_F(BerthOciExecFailureTest, MissingExecutableFailsCreateInRuncsWords) {
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), BusyboxSpec({"nosuch"})));
  std::string id = UniqueName();
  RunResult created = Oci({"create", "--bundle", dir_.path(), id});
  EXPECT_EQ(created.exit_code, 1);
  EXPECT_THAT(created.err, HasSubstr("exec: \"nosuch\": executable file not found in $PATH"));
  EXPECT_THAT(created.err, ::testing::Not(HasSubstr("No such file")));
  EXPECT_EQ(Oci({"list", "-q"}).out, "");
}

TEST_F(BerthOciExecFailureTest, ExecFailingAfterCreateIsReportedByStart) {
  // Executable by its mode, so create finds it; not a format the kernel runs.
  std::ofstream(dir_ / "rootfs/bin/not-a-program") << "\x01\x02 not an executable\n";
  ASSERT_EQ(::chmod((dir_ / "rootfs/bin/not-a-program").c_str(), 0755), 0);
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), BusyboxSpec({"/bin/not-a-program"})));
  std::string id = UniqueName();
  RunResult created = Oci({"create", "--bundle", dir_.path(), id});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(Status(id), "created");

  RunResult started = Oci({"start", id});
  EXPECT_EQ(started.exit_code, 1);
  EXPECT_THAT(started.err, HasSubstr("exec /bin/not-a-program: Exec format error"));
  for (int i = 0; i < 100 && Status(id) != "stopped"; ++i) ::usleep(10000);
  EXPECT_EQ(Status(id), "stopped");
  EXPECT_EQ(Oci({"delete", id}).exit_code, 0);
}

TEST_F(BerthOciExecFailureTest, StartOfAProcessThatExecsSucceeds) {
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), BusyboxSpec({"sleep", "30"})));
  std::string id = UniqueName();
  ASSERT_EQ(Oci({"create", "--bundle", dir_.path(), id}).exit_code, 0);
  RunResult started = Oci({"start", id});
  EXPECT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(Status(id), "running");
  EXPECT_EQ(Oci({"delete", "--force", id}).exit_code, 0);
}

}  // namespace
}  // namespace berth::testing
