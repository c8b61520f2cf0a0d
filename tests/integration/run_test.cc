// Containers end to end through berthctl against a private berthd: run in the
// foreground and detached, logs, exec, stop, rm, exit codes, restart policies, OOM, health
// checks, ps filters and sizes, and live restore after berthd is killed. The image is the
// locally built busybox.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "tests/harness/berthd_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartBerthd();
    RunResult load = berthd_->LoadBusybox(dir_);
    ASSERT_EQ(load.exit_code, 0) << load.err;
  }

  void TearDown() override {
    // Whatever a test left running goes, with its shim, before berthd does.
    berthd_->RemoveAllContainers();
    berthd_.reset();  // also removes the cgroup parent its containers shared
  }

  void StartBerthd() {
    auto berthd = BerthdProcess::Start(dir_, {});
    ASSERT_TRUE(berthd.ok()) << berthd.status();
    berthd_ = std::move(*berthd);
  }

  RunResult Ctl(std::vector<std::string> args,
                std::chrono::seconds timeout = std::chrono::seconds(60)) {
    args.insert(args.begin(), {BerthctlPath(), "-H", berthd_->address()});
    return RunCommand(args, {}, timeout);
  }

  nlohmann::json Inspect(const std::string& name) {
    RunResult inspect = Ctl({"inspect", name});
    EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
    auto parsed = nlohmann::json::parse(inspect.out, nullptr, false);
    return parsed.is_array() && !parsed.empty() ? parsed[0] : nlohmann::json();
  }

  // Polls `inspect` until State.Status is `status` (or 30 s pass).
  bool WaitForStatus(const std::string& name, const std::string& status) {
    for (int i = 0; i < 300; ++i) {
      if (Inspect(name)["State"]["Status"] == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  TestDir dir_;
  std::unique_ptr<BerthdProcess> berthd_;
};

TEST_F(RunTest, RunPrintsOutputPropagatesExitCodesAndRemovesWithRm) {
  RunResult hi = Ctl({"run", "--rm", "busybox", "echo", "hi"});
  EXPECT_EQ(hi.exit_code, 0) << hi.err;
  EXPECT_EQ(hi.out, "hi\n");
  RunResult three = Ctl({"run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(three.exit_code, 3) << three.err;
  EXPECT_EQ(three.out, "out\n");
  EXPECT_THAT(three.err, HasSubstr("err\n"));
  RunResult missing = Ctl({"run", "--rm", "busybox", "/no/such/program"});
  EXPECT_EQ(missing.exit_code, 127) << missing.err;
  // --rm containers are gone once run returns (or very soon after).
  for (int i = 0; i < 50 && !Ctl({"ps", "-aq"}).out.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  RunResult left = Ctl({"ps", "-aq"});
  EXPECT_EQ(left.out, "") << "left behind: " << left.out;
}

TEST_F(RunTest, DetachedContainerLogsExecsStopsAndIsRemoved) {
  RunResult run =
      Ctl({"run", "-d", "--name", "web", "busybox", "sh", "-c",
           "echo started; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string id(absl::StripTrailingAsciiWhitespace(run.out));
  EXPECT_EQ(id.size(), 64u) << run.out;

  RunResult logs;
  for (int i = 0; i < 50; ++i) {
    logs = Ctl({"logs", "web"});
    if (logs.out == "started\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(logs.out, "started\n") << logs.err;

  RunResult ps = Ctl({"ps"});
  EXPECT_THAT(ps.out, HasSubstr(id.substr(0, 12)));
  EXPECT_THAT(ps.out, HasSubstr("Up "));
  EXPECT_THAT(ps.out, HasSubstr("web"));

  RunResult exec = Ctl({"exec", "web", "sh", "-c", "echo inside $HOSTNAME; exit 5"});
  EXPECT_EQ(exec.exit_code, 5) << exec.err;
  EXPECT_EQ(exec.out, "inside " + id.substr(0, 12) + "\n");

  RunResult rm_running = Ctl({"rm", "web"});
  EXPECT_NE(rm_running.exit_code, 0);
  EXPECT_THAT(rm_running.err, HasSubstr("Stop the container before attempting removal"));

  RunResult stop = Ctl({"stop", "-t", "5", "web"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  nlohmann::json state = Inspect("web")["State"];
  EXPECT_EQ(state["Status"], "exited");
  EXPECT_EQ(state["ExitCode"], 0);  // the trap ran: SIGTERM, not SIGKILL
  EXPECT_EQ(Ctl({"logs", "web"}).out, "started\nbye\n");
  EXPECT_THAT(Ctl({"ps", "-a"}).out, HasSubstr("Exited (0)"));

  // Started again: the same rootfs, the log goes on.
  ASSERT_EQ(Ctl({"start", "web"}).exit_code, 0);
  EXPECT_TRUE(WaitForStatus("web", "running"));
  ASSERT_EQ(Ctl({"kill", "web"}).exit_code, 0);
  EXPECT_TRUE(WaitForStatus("web", "exited"));
  EXPECT_EQ(Inspect("web")["State"]["ExitCode"], 137);

  RunResult rm = Ctl({"rm", "web"});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(Ctl({"ps", "-aq"}).out, "");
  EXPECT_NE(Ctl({"inspect", "web"}).exit_code, 0);
}

TEST_F(RunTest, PauseRenameTopWaitRestartAndRotatedLogs) {
  ASSERT_EQ(
      Ctl({"run", "-d", "--name", "worker", "--log-opt", "max-size=1k", "--log-opt", "max-file=2",
           "busybox", "sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.01; done"})
          .exit_code,
      0);
  ASSERT_EQ(Ctl({"pause", "worker"}).exit_code, 0);
  EXPECT_EQ(Inspect("worker")["State"]["Status"], "paused");
  EXPECT_THAT(Ctl({"ps"}).out, HasSubstr("(Paused)"));
  RunResult exec_paused = Ctl({"exec", "worker", "true"});
  EXPECT_NE(exec_paused.exit_code, 0);
  ASSERT_EQ(Ctl({"unpause", "worker"}).exit_code, 0);
  EXPECT_EQ(Inspect("worker")["State"]["Status"], "running");

  ASSERT_EQ(Ctl({"rename", "worker", "busy"}).exit_code, 0);
  EXPECT_NE(Ctl({"inspect", "worker"}).exit_code, 0);
  RunResult top = Ctl({"top", "busy"});
  EXPECT_EQ(top.exit_code, 0) << top.err;
  EXPECT_THAT(top.out, HasSubstr("PID"));
  EXPECT_THAT(top.out, HasSubstr("while true"));

  // Rotation keeps at most two files of about 1 KiB: the log stays small.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const std::string log_path = Inspect("busy")["LogPath"];
  ASSERT_FALSE(log_path.empty());
  EXPECT_TRUE(std::filesystem::exists(log_path + ".1"));
  EXPECT_FALSE(std::filesystem::exists(log_path + ".2"));
  EXPECT_LE(std::filesystem::file_size(log_path), 1024u);
  EXPECT_THAT(Ctl({"logs", "--tail", "2", "busy"}).out, StartsWith("line "));

  const std::string before = Inspect("busy")["State"]["StartedAt"];
  ASSERT_EQ(Ctl({"restart", "-t", "1", "busy"}).exit_code, 0);
  nlohmann::json restarted = Inspect("busy")["State"];
  EXPECT_EQ(restarted["Status"], "running");
  EXPECT_NE(restarted["StartedAt"], before);

  // wait returns the exit code once the container ends.
  ASSERT_EQ(
      Ctl({"run", "-d", "--name", "short", "busybox", "sh", "-c", "sleep 0.5; exit 12"}).exit_code,
      0);
  RunResult wait = Ctl({"wait", "short"});
  EXPECT_EQ(wait.out, "12\n") << wait.err;
}

TEST_F(RunTest, TerminalsForRunAndExec) {
  // `script` gives berthctl a terminal, as a user's shell would.
  const std::string ctl = BerthctlPath() + " -H " + berthd_->address();
  RunResult run = RunCommand({"/usr/bin/script", "-qec",
                              ctl + " run --rm -it busybox sh -c 'tty; echo $TERM'", "/dev/null"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("/dev/pts/0"));
  EXPECT_THAT(run.out, HasSubstr("xterm"));
  ASSERT_EQ(Ctl({"run", "-d", "--name", "box", "busybox", "sleep", "1000"}).exit_code, 0);
  RunResult exec = RunCommand(
      {"/usr/bin/script", "-qec", ctl + " exec -it box sh -c 'tty; exit 4'", "/dev/null"});
  EXPECT_EQ(exec.exit_code, 4) << exec.err;
  EXPECT_THAT(exec.out, HasSubstr("/dev/pts/"));
  // Typed input reaches an interactive shell, and its exit code comes back.
  RunResult typed =
      RunCommand({"/bin/sh", "-c", "printf 'echo typed\\nexit 6\\n' | " + ctl + " exec -i box sh"});
  EXPECT_EQ(typed.exit_code, 6) << typed.err;
  EXPECT_EQ(typed.out, "typed\n");
}

TEST_F(RunTest, ForceRemovingRunningContainersEndsTheirShims) {
  for (const char* name : {"f1", "f2", "f3"}) {
    ASSERT_EQ(Ctl({"run", "-d", "--name", name, "busybox", "sleep", "1000"}).exit_code, 0);
  }
  EXPECT_EQ(berthd_->ShimPids().size(), 3u);
  RunResult rm = Ctl({"rm", "-f", "f1", "f2", "f3"});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(Ctl({"ps", "-aq"}).out, "");
  std::vector<pid_t> left = berthd_->ShimPids();
  for (int i = 0; i < 50 && !left.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    left = berthd_->ShimPids();
  }
  EXPECT_TRUE(left.empty()) << left.size() << " shims outlived their containers";
}

TEST_F(RunTest, HealthChecksTurnHealthyThenUnhealthy) {
  ASSERT_EQ(Ctl({"run", "-d", "--name", "hc", "--health-cmd", "test -f /tmp/ok",
                 "--health-interval", "200ms", "--health-retries", "2", "--health-start-period",
                 "5s", "busybox", "sh", "-c", "sleep 0.5; touch /tmp/ok; sleep 1000"})
                .exit_code,
            0);
  auto health_is = [&](const std::string& status) {
    for (int i = 0; i < 100; ++i) {
      if (Inspect("hc")["State"]["Health"]["Status"] == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  EXPECT_EQ(Inspect("hc")["State"]["Health"]["Status"], "starting");
  EXPECT_TRUE(health_is("healthy"));
  EXPECT_THAT(Ctl({"ps"}).out, HasSubstr("(healthy)"));
  ASSERT_EQ(Ctl({"exec", "hc", "rm", "/tmp/ok"}).exit_code, 0);
  EXPECT_TRUE(health_is("unhealthy"));
  nlohmann::json health = Inspect("hc")["State"]["Health"];
  EXPECT_GE(health["FailingStreak"], 2);
  ASSERT_FALSE(health["Log"].empty());
  EXPECT_LE(health["Log"].size(), 5u);
  EXPECT_EQ(health["Log"].back()["ExitCode"], 1);
}

TEST_F(RunTest, HealthIsStillKnownRightAfterBerthdIsKilledAndRestarted) {
  // A long interval: a restarted berthd probes again only 5 s later, so what inspect
  // shows right after the restart is what the first berthd's checks found.
  ASSERT_EQ(Ctl({"run", "-d", "--name", "checked", "--health-cmd", "true", "--health-interval",
                 "5s", "busybox", "sleep", "1000"})
                .exit_code,
            0);
  nlohmann::json before;
  for (int i = 0; i < 150 && before["Status"] != "healthy"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    before = Inspect("checked")["State"]["Health"];
  }
  ASSERT_EQ(before["Status"], "healthy");
  ASSERT_FALSE(before["Log"].empty());
  berthd_->Stop(SIGKILL);
  berthd_.reset();
  StartBerthd();

  nlohmann::json after = Inspect("checked")["State"]["Health"];
  EXPECT_EQ(after["Status"], "healthy");
  EXPECT_EQ(after["FailingStreak"], 0);
  ASSERT_FALSE(after["Log"].empty());
  EXPECT_EQ(after["Log"][0]["Start"], before["Log"][0]["Start"]);
  EXPECT_THAT(Ctl({"ps"}).out, HasSubstr("(healthy)"));
}

TEST_F(RunTest, PsFiltersByCreationOrderAndShowsSizes) {
  for (const char* name : {"first", "second"}) {
    ASSERT_EQ(Ctl({"run", "-d", "--name", name, "busybox", "sleep", "1000"}).exit_code, 0);
  }
  ASSERT_EQ(Ctl({"run", "-d", "--name", "third", "busybox", "sh", "-c",
                 "dd if=/dev/zero of=/big bs=1000 count=300 2>/dev/null; sleep 1000"})
                .exit_code,
            0);
  auto names = [&](const std::string& filter) {
    RunResult ps = Ctl({"ps", "--format", "{{.Names}}", "--filter", filter});
    EXPECT_EQ(ps.exit_code, 0) << ps.err;
    return ps.out;
  };
  EXPECT_EQ(names("before=second"), "first\n");
  EXPECT_EQ(names("since=second"), "third\n");
  EXPECT_EQ(names("since=first"), "third\nsecond\n");  // newest first, as ever
  EXPECT_EQ(names("before=first"), "");
  RunResult unknown = Ctl({"ps", "--filter", "since=nosuch"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_THAT(unknown.err, HasSubstr("No such container: nosuch"));

  // -s: the writable layer's own usage, and with the image's size "(virtual …)".
  nlohmann::json sized;
  for (int i = 0; i < 50; ++i) {
    RunResult inspect = Ctl({"inspect", "--size", "third"});
    sized = nlohmann::json::parse(inspect.out, nullptr, false)[0];
    if (sized["SizeRw"].is_number() && sized["SizeRw"] >= 300000) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(sized["SizeRw"], 300000);
  EXPECT_LT(sized["SizeRw"], 1000000);
  EXPECT_GT(sized["SizeRootFs"], sized["SizeRw"]);
  RunResult ps = Ctl({"ps", "-s", "--filter", "name=third"});
  EXPECT_EQ(ps.exit_code, 0) << ps.err;
  EXPECT_THAT(ps.out, HasSubstr("SIZE"));
  EXPECT_THAT(ps.out, HasSubstr("kB (virtual "));
}

TEST_F(RunTest, UpdateChangesLimitsLiveAndTheRestartPolicy) {
  ASSERT_EQ(Ctl({"run", "-d", "--name", "tuned", "busybox", "sleep", "1000"}).exit_code, 0);
  RunResult update =
      Ctl({"update", "-m", "64m", "--pids-limit", "10", "--restart", "on-failure:2", "tuned"});
  ASSERT_EQ(update.exit_code, 0) << update.err;
  EXPECT_EQ(update.out, "tuned\n");
  nlohmann::json host = Inspect("tuned")["HostConfig"];
  EXPECT_EQ(host["Memory"], 64 << 20);
  EXPECT_EQ(host["PidsLimit"], 10);
  EXPECT_EQ(host["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(host["RestartPolicy"]["MaximumRetryCount"], 2);
  // Applied to the running container: an 11th process cannot start.
  RunResult fork_bomb = Ctl({"exec", "tuned", "sh", "-c",
                             "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done; wait"});
  EXPECT_NE(fork_bomb.exit_code, 0);
  EXPECT_THAT(fork_bomb.err + fork_bomb.out, HasSubstr("fork"));
  EXPECT_EQ(Ctl({"update", "--cpus", "abc", "tuned"}).exit_code, 125);
}

TEST_F(RunTest, AnImageInUseIsNotRemovedWithoutForce) {
  ASSERT_EQ(Ctl({"create", "--name", "user", "busybox", "true"}).exit_code, 0);
  RunResult refused = Ctl({"rmi", "busybox"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("conflict: unable to remove repository reference"));
  EXPECT_THAT(refused.err, HasSubstr("is using its referenced image"));
  ASSERT_EQ(Ctl({"rm", "user"}).exit_code, 0);
  RunResult removed = Ctl({"rmi", "busybox"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_THAT(removed.out, HasSubstr("Untagged: busybox:latest"));
}

TEST_F(RunTest, OnFailureRestartsUpToItsLimit) {
  RunResult run = Ctl({"run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh",
                       "-c", "exit 7"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json details;
  for (int i = 0; i < 100; ++i) {
    details = Inspect("flaky");
    if (details["RestartCount"] == 2 && details["State"]["Status"] == "exited") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(details["RestartCount"], 2);
  EXPECT_EQ(details["State"]["Status"], "exited");
  EXPECT_EQ(details["State"]["ExitCode"], 7);
}

TEST_F(RunTest, AMemoryHogIsOomKilled) {
  const std::string since = std::to_string(absl::ToUnixSeconds(absl::Now()) - 1);
  RunResult run = Ctl({"run", "--name", "hog", "-m", "32m", "--memory-swap", "32m", "busybox", "sh",
                       "-c", "tail /dev/zero"});
  EXPECT_EQ(run.exit_code, 137) << run.err;
  nlohmann::json state = Inspect("hog")["State"];
  EXPECT_EQ(state["OOMKilled"], true);
  EXPECT_EQ(state["ExitCode"], 137);
  const std::string until = std::to_string(absl::ToUnixSeconds(absl::Now()) + 1);
  RunResult events = Ctl({"events", "--since", since, "--until", until, "--filter", "container=hog",
                          "--format", "{{.Action}}"});
  EXPECT_THAT(events.out, HasSubstr("oom\n")) << events.err;
  EXPECT_THAT(events.out, HasSubstr("die\n"));
}

// Docker's `events --since --until` with `until` already past replays what happened in
// between and ends; the same holds when `until` passes while the request is on its way.
TEST_F(RunTest, EventsUntilAPastTimeAreReplayed) {
  const int64_t since = absl::ToUnixSeconds(absl::Now()) - 1;
  RunResult run = Ctl({"run", "--name", "brief", "busybox", "true"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const int64_t until = absl::ToUnixSeconds(absl::Now()) + 1;
  while (absl::ToUnixSeconds(absl::Now()) <= until) absl::SleepFor(absl::Milliseconds(50));
  RunResult events =
      Ctl({"events", "--since", std::to_string(since), "--until", std::to_string(until), "--filter",
           "container=brief", "--format", "{{.Action}}"});
  EXPECT_EQ(events.exit_code, 0) << events.err;
  EXPECT_THAT(events.out, HasSubstr("start\n"));
  EXPECT_THAT(events.out, HasSubstr("die\n"));
}

TEST_F(RunTest, LogsFollowStreamsUntilTheContainerEnds) {
  ASSERT_EQ(Ctl({"run", "-d", "--name", "talker", "busybox", "sh", "-c",
                 "for i in 1 2 3; do echo n$i; sleep 0.3; done"})
                .exit_code,
            0);
  // -f starts while the container writes, and ends when it exits.
  RunResult follow = Ctl({"logs", "-f", "talker"}, std::chrono::seconds(30));
  EXPECT_EQ(follow.exit_code, 0) << follow.err;
  EXPECT_EQ(follow.out, "n1\nn2\nn3\n");
}

TEST_F(RunTest, ContainersKeepRunningWhileBerthdIsKilledAndAreFoundAgain) {
  ASSERT_EQ(Ctl({"run", "-d", "--name", "keeper", "busybox", "sh", "-c",
                 "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"})
                .exit_code,
            0);
  ASSERT_EQ(
      Ctl({"run", "-d", "--name", "quitter", "busybox", "sh", "-c", "sleep 1; exit 4"}).exit_code,
      0);
  const std::string started = Inspect("keeper")["State"]["StartedAt"];
  berthd_->Stop(SIGKILL);
  berthd_.reset();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // quitter exits meanwhile
  StartBerthd();

  nlohmann::json keeper = Inspect("keeper");
  EXPECT_EQ(keeper["State"]["Status"], "running");
  EXPECT_EQ(keeper["State"]["StartedAt"], started);
  nlohmann::json quitter = Inspect("quitter");
  EXPECT_EQ(quitter["State"]["Status"], "exited");
  EXPECT_EQ(quitter["State"]["ExitCode"], 4);

  RunResult exec = Ctl({"exec", "keeper", "echo", "still here"});
  EXPECT_EQ(exec.out, "still here\n") << exec.err;
  // The log kept flowing while berthd was away.
  RunResult logs = Ctl({"logs", "--tail", "1", "keeper"});
  EXPECT_THAT(logs.out, StartsWith("tick "));
  RunResult stop = Ctl({"stop", "-t", "1", "keeper"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_EQ(Inspect("keeper")["State"]["Status"], "exited");
}

TEST_F(RunTest, TwentyContainersLiveThroughKill9AndRestartPoliciesApply) {
  std::vector<std::string> names;
  for (int i = 0; i < 18; ++i) {
    names.push_back("long" + std::to_string(i));
    ASSERT_EQ(Ctl({"run", "-d", "--name", names.back(), "busybox", "sh", "-c",
                   "while true; do echo alive; sleep 0.5; done"})
                  .exit_code,
              0);
  }
  ASSERT_EQ(
      Ctl({"run", "-d", "--name", "ends", "busybox", "sh", "-c", "sleep 1; exit 4"}).exit_code, 0);
  ASSERT_EQ(Ctl({"run", "-d", "--name", "comeback", "--restart", "always", "busybox", "sh", "-c",
                 "sleep 1; exit 9"})
                .exit_code,
            0);
  std::map<std::string, std::string> started;
  for (const std::string& name : names) started[name] = Inspect(name)["State"]["StartedAt"];
  const int restarts_before = Inspect("comeback")["RestartCount"];
  berthd_->Stop(SIGKILL);
  berthd_.reset();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // two containers exit meanwhile
  StartBerthd();

  RunResult ps = Ctl({"ps", "-q"});
  for (const std::string& name : names) {
    nlohmann::json state = Inspect(name)["State"];
    EXPECT_EQ(state["Status"], "running") << name;
    EXPECT_EQ(state["StartedAt"], started[name]) << name;
  }
  nlohmann::json ends = Inspect("ends")["State"];
  EXPECT_EQ(ends["Status"], "exited");
  EXPECT_EQ(ends["ExitCode"], 4);
  // `always` restarts what exited while berthd was away, as Docker does.
  bool restarted = false;
  for (int i = 0; i < 100 && !restarted; ++i) {
    restarted = Inspect("comeback")["RestartCount"] > restarts_before;
    if (!restarted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(restarted);

  RunResult exec = Ctl({"exec", names[7], "echo", "here"});
  EXPECT_EQ(exec.out, "here\n") << exec.err;
  const size_t before = Ctl({"logs", names[3]}).out.size();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_GT(Ctl({"logs", names[3]}).out.size(), before);  // the log keeps flowing
  EXPECT_EQ(Ctl({"stop", "-t", "1", names[0]}).exit_code, 0);
  EXPECT_EQ(Inspect(names[0])["State"]["Status"], "exited");
}

}  // namespace
}  // namespace berth::testing
