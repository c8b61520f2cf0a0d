// Docker's --sig-proxy: a signal berthctl receives while attached (run, attach, start -a)
// goes to the container's process, whose exit code berthctl then returns; with
// --sig-proxy=false the signal ends berthctl alone and the container runs on. Signals go
// only to the berthctl processes this test started, by PID.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "common/file_text.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/berthd_test.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

// Traps TERM, says so and exits 7; prints "ready" once the trap is set.
constexpr char kTrapTerm[] =
    "trap 'echo got TERM; exit 7' TERM; echo ready; while true; do sleep 0.1; done";

class SigProxyTest : public BerthdTest {
 protected:
  // berthctl run (attached) in the background; its output goes to `log`.
  pid_t StartAttached(const std::vector<std::string>& run_args, const std::string& log) {
    std::vector<std::string> argv = {BerthctlPath(), "-H", berthd_->address(), "run"};
    argv.insert(argv.end(), run_args.begin(), run_args.end());
    return Spawn(argv, log);
  }

  bool WaitForText(const std::string& path, const std::string& text) {
    for (int i = 0; i < 150; ++i) {
      if (ReadFileText(path).value_or("").find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
};

TEST_F(SigProxyTest, RunForwardsSigtermAndReturnsTheContainersExitCode) {
  const std::string log = dir_ / "proxied.log";
  pid_t ctl = StartAttached({"--name", "proxied", "busybox", "sh", "-c", kTrapTerm}, log);
  ASSERT_TRUE(WaitForText(log, "ready\n")) << ReadFileText(log).value_or("");
  EXPECT_EQ(StopProcess(ctl, SIGTERM), 7);
  EXPECT_THAT(ReadFileText(log).value_or(""), HasSubstr("got TERM"));
  EXPECT_EQ(berthd_->Inspect("proxied")["State"]["ExitCode"], 7);
}

TEST_F(SigProxyTest, WithoutTheProxyOnlyBerthctlEnds) {
  const std::string log = dir_ / "alone.log";
  pid_t ctl = StartAttached(
      {"--sig-proxy=false", "--name", "alone", "busybox", "sh", "-c", kTrapTerm}, log);
  ASSERT_TRUE(WaitForText(log, "ready\n")) << ReadFileText(log).value_or("");
  EXPECT_EQ(StopProcess(ctl, SIGTERM), 128 + SIGTERM);
  EXPECT_EQ(berthd_->Inspect("alone")["State"]["Status"], "running");
  // `attach` proxies by default: its SIGTERM reaches the same process, trapped.
  const std::string attach_log = dir_ / "attach.log";
  pid_t attach = Spawn({BerthctlPath(), "-H", berthd_->address(), "attach", "alone"}, attach_log);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // attached
  EXPECT_EQ(StopProcess(attach, SIGTERM), 7);
  EXPECT_THAT(ReadFileText(attach_log).value_or(""), HasSubstr("got TERM"));
  EXPECT_EQ(berthd_->Inspect("alone")["State"]["ExitCode"], 7);
}

}  // namespace
}  // namespace berth::testing
