#include "shim/oci/seccomp_listener.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "common/status_matchers.h"
#include "common/unique_fd.h"
#include "nlohmann/json.hpp"
#include "shim/oci/fd_passing.h"

namespace berth::oci {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

State ExampleState() {
  State state;
  state.oci_version = "1.2.0";
  state.id = "box";
  state.status = ContainerStatus::kCreating;
  state.pid = 4422;
  state.bundle = "/bundles/box";
  state.rootfs = "/bundles/box/rootfs";  // not part of the runtime-spec's state
  state.annotations = {{"org.example", "yes"}};
  return state;
}

TEST(SeccompListenerTest, ContainerProcessStateHasTheRuntimeSpecKeys) {
  auto json =
      nlohmann::json::parse(ContainerProcessStateJson(4422, ExampleState(), "MKNOD=/dev/null"));
  EXPECT_EQ(json, nlohmann::json::parse(R"({
    "ociVersion": "1.2.0", "fds": ["seccompFd"], "pid": 4422, "metadata": "MKNOD=/dev/null",
    "state": {"ociVersion": "1.2.0", "id": "box", "status": "creating", "pid": 4422,
              "bundle": "/bundles/box", "annotations": {"org.example": "yes"}}})"));
  State bare = ExampleState();
  bare.annotations.clear();
  json = nlohmann::json::parse(ContainerProcessStateJson(4500, bare, ""));
  EXPECT_FALSE(json.contains("metadata"));  // omitted when empty, as runc does
  EXPECT_EQ(json["pid"], 4500);             // an exec'd process: its own pid at the top
  EXPECT_EQ(json["state"]["pid"], 4422);    // and the init's in the state
  EXPECT_FALSE(json["state"].contains("annotations"));
}

class SeccompListenerSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-listener-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/agent.sock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  UniqueFd Listen() {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd.get(), 1), 0);
    return fd;
  }

  std::string dir_, path_;
};

TEST_F(SeccompListenerSocketTest, SendsTheStateAndTheFdInOneMessage) {
  UniqueFd listener = Listen();
  UniqueFd sent(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  const std::string state = ContainerProcessStateJson(4422, ExampleState(), "");
  BERTH_ASSERT_OK(SendSeccompListener(path_, state, sent.get()));

  UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(conn);
  char buffer[4096];
  size_t n = 0;
  int fd = ReceiveFd(conn.get(), buffer, sizeof(buffer), &n);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(std::string(buffer, n), state);
  UniqueFd received(fd);
  struct stat a {
  }, b{};
  ASSERT_EQ(::fstat(sent.get(), &a), 0);
  ASSERT_EQ(::fstat(received.get(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);  // the same open file, not a copy
}

TEST(SeccompListenerFdTest, ChildToParentHandOverKeepsTheOpenFile) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd parent(pair[0]), child(pair[1]);
  UniqueFd sent(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_EQ(SendListenerFdRaw(child.get(), sent.get()), 0);
  absl::StatusOr<UniqueFd> received = ReceiveListenerFd(parent.get());
  BERTH_ASSERT_OK(received.status());
  struct stat a {
  }, b{};
  ASSERT_EQ(::fstat(sent.get(), &a), 0);
  ASSERT_EQ(::fstat(received->get(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(::fcntl(received->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

  // A byte without an fd is refused.
  ASSERT_EQ(::send(child.get(), "x", 1, 0), 1);
  EXPECT_THAT(ReceiveListenerFd(parent.get()),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("sent no seccomp listener")));
}

TEST_F(SeccompListenerSocketTest, NoAgentListeningIsAnErrorNamingTheField) {
  EXPECT_THAT(SendSeccompListener(path_, "{}", 0),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("linux.seccomp.listenerPath " + path_ + ": connect")));
}

}  // namespace
}  // namespace berth::oci
