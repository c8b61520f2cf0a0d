// berth-init run on the host (as a child subreaper, since it is not PID 1 here): exit
// codes, signals forwarded to the command, orphans reaped.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

// Starts berth-init with `command` after "--".
pid_t StartInit(std::vector<std::string> command) {
  command.insert(command.begin(), {BERTH_INIT_BINARY, "--"});
  std::vector<char*> argv;
  for (std::string& arg : command) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  return pid;
}

// The raw wait status of `pid`.
int Reap(pid_t pid) {
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return status;
}

// "<key>:\t<value>" of /proc/<pid>/status; "" when the process is gone.
std::string StatusField(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0)
      return line.substr(line.find_first_not_of(" \t", key.size() + 1));
  }
  return "";
}

// Until berth-init has forked the command: it blocked its signals before, so it
// forwards them from then on. (SigBlk reads 0 while it waits in sigwaitinfo.)
void WaitUntilForwarding(pid_t pid) {
  const std::string children =
      "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(children);
    pid_t child = 0;
    if (in >> child && child > 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "berth-init never started its command";
}

TEST(BerthInitTest, ExitsWithTheCommandsExitCode) {
  int status = Reap(StartInit({"/bin/sh", "-c", "exit 3"}));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST(BerthInitTest, ExitsWith128PlusTheSignalThatKilledTheCommand) {
  int status = Reap(StartInit({"/bin/sh", "-c", "kill -9 $$"}));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGKILL);
}

TEST(BerthInitTest, AMissingCommandIs127) {
  int status = Reap(StartInit({"/no/such/program"}));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 127);
}

TEST(BerthInitTest, ForwardsSigtermAndStaysAlive) {
  pid_t init = StartInit({"sleep", "100"});
  WaitUntilForwarding(init);
  ASSERT_EQ(::kill(init, SIGTERM), 0);
  int status = Reap(init);
  // Exited (not killed): the command got the signal and berth-init reported it.
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
}

TEST(BerthInitTest, ForwardsSignalsTheCommandHandles) {
  pid_t init = StartInit({"/bin/sh", "-c", "trap 'exit 42' USR1; while :; do sleep 0.05; done"});
  WaitUntilForwarding(init);
  // The trap must be in place before the signal: sh sets it first thing.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(::kill(init, SIGUSR1), 0);
  int status = Reap(init);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 42);
}

TEST(BerthInitTest, ReapsOrphansThatBecomeItsChildren) {
  char dir_template[] = "/tmp/berth-init-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string pid_file = std::string(dir_template) + "/orphan";
  // The inner shell starts a background sleep and exits: the sleep is orphaned.
  pid_t init = StartInit(
      {"/bin/sh", "-c", "sh -c 'sleep 0.5 & echo $! > " + pid_file + "'; exec sleep 100"});
  pid_t orphan = 0;
  for (int i = 0; i < 500 && orphan == 0; ++i) {
    std::ifstream in(pid_file);
    if (!(in >> orphan)) orphan = 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(orphan, 0);
  // It became berth-init's child (the inner shell is gone) …
  bool reparented = false;
  for (int i = 0; i < 300 && !reparented; ++i) {
    reparented = StatusField(orphan, "PPid") == std::to_string(init);
    if (!reparented) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(reparented);
  // … and once it exits, it does not stay a zombie: it leaves /proc altogether.
  bool reaped = false;
  for (int i = 0; i < 300 && !reaped; ++i) {
    reaped = StatusField(orphan, "State").empty();
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(reaped) << "state: " << StatusField(orphan, "State");
  ::kill(init, SIGTERM);
  Reap(init);
  std::remove(pid_file.c_str());
  ::rmdir(dir_template);
}

}  // namespace
