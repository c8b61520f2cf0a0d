// linux.seccomp.listenerPath end to end: berth-oci sends the listener fd of a filter with
// SCMP_ACT_NOTIFY rules to an agent (here a thread of the test) with the runtime-spec's
// containerProcessState, and the agent's answers are what the container's syscalls return.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/status_matchers.h"
#include "common/unique_fd.h"
#include "nlohmann/json.hpp"
#include "shim/oci/default_seccomp.h"
#include "shim/oci/fd_passing.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/busybox_bundle.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

// An agent on a unix socket: takes one connection, keeps the state it was sent, and
// answers the notifications on the listener fd with `answers` in turn (a negative errno,
// or 0 to let the syscall run), until every process under the filter is gone (or, with
// `until_hangup` false, until the answers run out).
class NotifyAgent {
 public:
  NotifyAgent(const std::string& path, std::vector<int> answers, bool until_hangup = true)
      : answers_(std::move(answers)), until_hangup_(until_hangup) {
    ::unlink(path.c_str());
    socket_.Reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    bound_ = ::bind(socket_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
             ::listen(socket_.get(), 1) == 0;
    thread_ = std::thread([this] { Serve(); });
  }
  ~NotifyAgent() { Wait(); }

  bool bound() const { return bound_; }
  // Until the agent is done; state() and answered() are read after it.
  void Wait() {
    if (thread_.joinable()) thread_.join();
  }
  const std::string& state() const { return state_; }
  int answered() const { return answered_; }

 private:
  void Serve() {
    pollfd ready{socket_.get(), POLLIN, 0};
    if (::poll(&ready, 1, 20000) != 1) return;
    UniqueFd conn(::accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buffer[8192];
    size_t n = 0;
    int fd = oci::ReceiveFd(conn.get(), buffer, sizeof(buffer), &n);
    if (fd < 0) return;
    state_.assign(buffer, n);
    UniqueFd listener(fd);
    for (;;) {
      if (!until_hangup_ && answered_ == static_cast<int>(answers_.size())) return;
      pollfd event{listener.get(), POLLIN, 0};
      // POLLHUP: no process is left under the filter.
      if (::poll(&event, 1, 20000) != 1 || (event.revents & POLLIN) == 0) return;
      seccomp_notif request{};
      if (::ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) continue;
      seccomp_notif_resp response{};
      response.id = request.id;
      int answer = answered_ < static_cast<int>(answers_.size()) ? answers_[answered_] : 0;
      if (answer == 0) {
        response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      } else {
        response.error = answer;
      }
      if (::ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SEND, &response) == 0) ++answered_;
    }
  }

  std::vector<int> answers_;
  bool until_hangup_;
  UniqueFd socket_;
  bool bound_ = false;
  std::string state_;
  int answered_ = 0;
  std::thread thread_;
};

class BerthOciSeccompListenerTest : public ::testing::Test {
 protected:
  void SetUp() override { BERTH_ASSERT_OK(MakeBusyboxRootfs(dir_.path())); }
  TestDir dir_, agent_dir_;
};

// A profile whose mkdir and mkdirat are the agent's at `path`.
oci::Seccomp NotifyMkdirProfile(const std::string& path) {
  oci::Seccomp seccomp;
  seccomp.default_action = "SCMP_ACT_ALLOW";
  seccomp.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  seccomp.syscalls = {oci::SyscallRule({"mkdir", "mkdirat"}, "SCMP_ACT_NOTIFY")};
  seccomp.listener_path = path;
  seccomp.listener_metadata = "berth-test-metadata";
  return seccomp;
}

TEST_F(BerthOciSeccompListenerTest, AgentReceivesTheStateAndAnswersTheContainersSyscalls) {
  // Both places the filter goes on: before the identity change (without no_new_privs)
  // and late, before the ready report (with it).
  for (bool no_new_privileges : {false, true}) {
    SCOPED_TRACE(no_new_privileges);
    const std::string path = agent_dir_ / (no_new_privileges ? "nnp.sock" : "agent.sock");
    oci::Spec spec = BusyboxSpec(
        {"sh", "-c", "mkdir /tmp/a; echo a=$?; mkdir /tmp/b && echo b=made; ls -d /tmp/b"});
    spec.process->no_new_privileges = no_new_privileges;
    spec.annotations["org.example.test"] = "listener";
    spec.linux_config.seccomp = NotifyMkdirProfile(path);
    BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));

    // The first mkdir fails with the agent's errno; the second runs for real.
    NotifyAgent agent(path, {-EMLINK, 0});
    ASSERT_TRUE(agent.bound());
    const std::string id = UniqueName();
    RunResult r = RunCommand({BERTH_TEST_BERTH_OCI, "run", "--bundle", dir_.path(), id});
    agent.Wait();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "a=1\nb=made\n/tmp/b\n");
    EXPECT_THAT(r.err, HasSubstr("can't create directory '/tmp/a': Too many links"));
    EXPECT_EQ(agent.answered(), 2);
    EXPECT_TRUE(std::filesystem::exists(dir_ / "rootfs/tmp/b"));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "rootfs/tmp/a"));
    std::filesystem::remove(dir_ / "rootfs/tmp/b");

    ASSERT_FALSE(agent.state().empty());
    auto state = nlohmann::json::parse(agent.state());
    EXPECT_EQ(state["ociVersion"], "1.2.0");
    EXPECT_EQ(state["fds"], nlohmann::json::array({"seccompFd"}));
    EXPECT_EQ(state["metadata"], "berth-test-metadata");
    EXPECT_GT(state["pid"].get<int>(), 0);
    EXPECT_EQ(state["state"]["pid"], state["pid"]);
    EXPECT_EQ(state["state"]["id"], id);
    EXPECT_EQ(state["state"]["status"], "creating");
    EXPECT_EQ(state["state"]["bundle"], dir_.path());
    EXPECT_EQ(state["state"]["annotations"]["org.example.test"], "listener");
  }
}

TEST_F(BerthOciSeccompListenerTest, ExecdProcessSendsItsOwnListenerWithTheRunningState) {
  const std::string path = agent_dir_ / "agent.sock";
  oci::Spec spec = BusyboxSpec({"sleep", "60"});
  spec.linux_config.seccomp = NotifyMkdirProfile(path);
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  TestDir state_dir;
  auto oci = [&](std::vector<std::string> args) { return RunBerthOci(state_dir.path(), args); };
  const std::string id = UniqueName();
  {
    NotifyAgent init_agent(path, {}, /*until_hangup=*/false);  // the init's: state only
    ASSERT_TRUE(init_agent.bound());
    RunResult ran = oci({"run", "--detach", "--bundle", dir_.path(), id});
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
  }
  int init_pid = nlohmann::json::parse(oci({"state", id}).out)["pid"];

  NotifyAgent exec_agent(path, {-EMLINK});
  ASSERT_TRUE(exec_agent.bound());
  RunResult r = oci({"exec", id, "sh", "-c", "mkdir /tmp/x; echo status=$?"});
  EXPECT_EQ(oci({"delete", "--force", id}).exit_code, 0);
  exec_agent.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "status=1\n");
  EXPECT_THAT(r.err, HasSubstr("can't create directory '/tmp/x': Too many links"));
  ASSERT_FALSE(exec_agent.state().empty());
  auto state = nlohmann::json::parse(exec_agent.state());
  EXPECT_EQ(state["state"]["status"], "running");
  EXPECT_EQ(state["state"]["id"], id);
  EXPECT_EQ(state["state"]["pid"], init_pid);
  EXPECT_EQ(state["state"]["bundle"], dir_.path());
  EXPECT_GT(state["pid"].get<int>(), 0);
  EXPECT_NE(state["pid"], init_pid);  // the exec'd process' own
}

TEST_F(BerthOciSeccompListenerTest, NoAgentAtTheListenerPathFailsTheCreate) {
  oci::Spec spec = BusyboxSpec({"true"});
  oci::Seccomp& seccomp = spec.linux_config.seccomp.emplace();
  seccomp.default_action = "SCMP_ACT_ALLOW";
  seccomp.syscalls = {oci::SyscallRule({"mkdir", "mkdirat"}, "SCMP_ACT_NOTIFY")};
  seccomp.listener_path = agent_dir_ / "nobody.sock";
  BERTH_ASSERT_OK(WriteBundleConfig(dir_.path(), spec));
  RunResult r = RunCommand({BERTH_TEST_BERTH_OCI, "run", "--bundle", dir_.path(), UniqueName()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("linux.seccomp.listenerPath " + (agent_dir_ / "nobody.sock")));
}

}  // namespace
}  // namespace berth::testing
