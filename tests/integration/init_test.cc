// `run --init` end to end: berth-init is PID 1 at /sbin/docker-init, reaps orphans,
// passes the stop signal on and the command's exit code back; daemon.json "init": true
// makes it the default. The image is the locally built busybox.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "tests/harness/berthd_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using namespace std::string_literals;
using ::testing::StartsWith;

// Counts the container's zombies from inside it.
constexpr char kCountZombies[] = "grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l";

class InitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    berthd_ = StartBerthd("berthd", nlohmann::json::object());
    ASSERT_NE(berthd_, nullptr);
  }

  void TearDown() override {
    for (BerthdProcess* berthd : {berthd_.get(), init_berthd_.get()}) {
      if (berthd == nullptr) continue;
      RunResult ids = Ctl(*berthd, {"ps", "-aq"});
      for (absl::string_view id : absl::StrSplit(ids.out, '\n', absl::SkipEmpty())) {
        Ctl(*berthd, {"rm", "-f", std::string(id)});
      }
    }
    init_berthd_.reset();
    berthd_.reset();
  }

  // A berthd with the busybox image loaded.
  std::unique_ptr<BerthdProcess> StartBerthd(const std::string& name, nlohmann::json config) {
    BerthdOptions options;
    options.name = name;
    options.daemon_json = std::move(config);
    auto berthd = BerthdProcess::Start(dir_, options);
    EXPECT_TRUE(berthd.ok()) << berthd.status();
    if (!berthd.ok()) return nullptr;
    if (!std::filesystem::exists(dir_ / "busybox.tar")) {
      RunResult made = MakeBusyboxImage(dir_ / "busybox.tar",
                                        {"--format", "docker-archive", "--name", "busybox:latest"});
      EXPECT_EQ(made.exit_code, 0) << made.err;
    }
    RunResult load = Ctl(**berthd, {"load", "-i", dir_ / "busybox.tar"});
    EXPECT_EQ(load.exit_code, 0) << load.err;
    return std::move(*berthd);
  }

  RunResult Ctl(const BerthdProcess& berthd, std::vector<std::string> args) {
    args.insert(args.begin(), {BerthctlPath(), "-H", berthd.address()});
    return RunCommand(args, {}, std::chrono::seconds(60));
  }
  RunResult Ctl(std::vector<std::string> args) { return Ctl(*berthd_, std::move(args)); }

  nlohmann::json Inspect(const std::string& name) {
    RunResult inspect = Ctl({"inspect", name});
    EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
    auto parsed = nlohmann::json::parse(inspect.out, nullptr, false);
    return parsed.is_array() && !parsed.empty() ? parsed[0] : nlohmann::json();
  }

  // Polls `exec <name> sh -c <script>` until it prints `want` (or 10 s pass).
  std::string ExecUntil(const std::string& name, const std::string& script,
                        const std::string& want) {
    std::string out;
    for (int i = 0; i < 50; ++i) {
      out = std::string(absl::StripAsciiWhitespace(Ctl({"exec", name, "sh", "-c", script}).out));
      if (out == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return out;
  }

  TestDir dir_;
  std::unique_ptr<BerthdProcess> berthd_;
  std::unique_ptr<BerthdProcess> init_berthd_;
};

TEST_F(InitTest, Pid1IsBerthInitAtDockersPathWithTheCommandAfterIt) {
  RunResult run = Ctl({"run", "--rm", "--init", "busybox", "cat", "/proc/1/cmdline"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "/sbin/docker-init\0--\0cat\0/proc/1/cmdline\0"s);

  ASSERT_EQ(Ctl({"run", "-d", "--init", "--name", "inited", "busybox", "sleep", "1000"}).exit_code,
            0);
  EXPECT_EQ(Inspect("inited")["HostConfig"]["Init"], true);
  EXPECT_EQ(Ctl({"exec", "inited", "cat", "/proc/1/comm"}).out, "docker-init\n");
  RunResult usage = Ctl({"exec", "inited", "/sbin/docker-init"});  // berth-init, no command
  EXPECT_EQ(usage.exit_code, 1);
  EXPECT_THAT(usage.err, HasSubstr("berth-init: usage"));
  // Bound read-only: the container cannot replace its init.
  EXPECT_NE(Ctl({"exec", "inited", "sh", "-c", "echo x > /sbin/docker-init"}).exit_code, 0);
  // Without --init the command is PID 1 itself.
  RunResult plain = Ctl({"run", "--rm", "busybox", "cat", "/proc/1/cmdline"});
  EXPECT_THAT(plain.out, StartsWith("cat\0"s));
}

TEST_F(InitTest, OrphansAreReapedWithInitAndStayZombiesWithout) {
  // The inner shell leaves a short sleep behind: orphaned, it becomes PID 1's child. PID
  // 1's own command (an exec'd sleep) never waits for it.
  const std::vector<std::string> orphaning = {"busybox", "sh", "-c",
                                              "sh -c 'sleep 0.2 &'; exec sleep 1000"};
  std::vector<std::string> with_init = {"run", "-d", "--init", "--name", "reaped"};
  with_init.insert(with_init.end(), orphaning.begin(), orphaning.end());
  ASSERT_EQ(Ctl(with_init).exit_code, 0);
  std::vector<std::string> without = {"run", "-d", "--name", "unreaped"};
  without.insert(without.end(), orphaning.begin(), orphaning.end());
  ASSERT_EQ(Ctl(without).exit_code, 0);
  // The check itself sees a zombie: the one left where nobody reaps.
  EXPECT_EQ(ExecUntil("unreaped", kCountZombies, "1"), "1");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(ExecUntil("reaped", kCountZombies, "0"), "0");
  EXPECT_EQ(ExecUntil("reaped", "ps -o comm | grep -c sleep", "1"), "1");  // the exec'd one
}

TEST_F(InitTest, StopSignalReachesTheCommandThroughInit) {
  // sh as PID 1 would ignore SIGTERM and be killed after the timeout (137); behind
  // berth-init it gets the signal and ends by it.
  ASSERT_EQ(Ctl({"run", "-d", "--init", "--name", "stoppable", "busybox", "sh", "-c", "sleep 1000"})
                .exit_code,
            0);
  RunResult stop = Ctl({"stop", "-t", "30", "stoppable"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  nlohmann::json state = Inspect("stoppable")["State"];
  EXPECT_EQ(state["Status"], "exited");
  EXPECT_EQ(state["ExitCode"], 143);
}

TEST_F(InitTest, TheCommandsExitCodeIsTheContainers) {
  EXPECT_EQ(Ctl({"run", "--rm", "--init", "busybox", "sh", "-c", "exit 7"}).exit_code, 7);
  EXPECT_EQ(Ctl({"run", "--rm", "--init", "busybox", "sh", "-c", "kill -9 $$"}).exit_code, 137);
  RunResult missing = Ctl({"run", "--rm", "--init", "busybox", "/no/such/program"});
  EXPECT_EQ(missing.exit_code, 127) << missing.err;
}

TEST_F(InitTest, DaemonJsonInitMakesItTheDefault) {
  init_berthd_ = StartBerthd("initd", {{"init", true}});
  ASSERT_NE(init_berthd_, nullptr);
  RunResult run = Ctl(*init_berthd_, {"run", "--rm", "busybox", "cat", "/proc/1/cmdline"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, StartsWith("/sbin/docker-init\0--\0cat\0"s));
}

}  // namespace
}  // namespace berth::testing
