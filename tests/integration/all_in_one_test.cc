// berthd hosting all four services: health, version, UNIMPLEMENTED messages, socket
// mode, metrics, clean stop, sd_notify, refusal of a second daemon and of bad config.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include "berth/images/v1/images.grpc.pb.h"
#include "common/rpc/channel.h"
#include "common/status_matchers.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class AllInOneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = BerthdProcess::Start(dir_, {});
    BERTH_ASSERT_OK(started);
    berthd_ = *std::move(started);
    auto channel = rpc::Dial(berthd_->address());
    BERTH_ASSERT_OK(channel);
    channel_ = *channel;
  }

  TestDir dir_;
  std::unique_ptr<BerthdProcess> berthd_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(AllInOneTest, EveryServiceIsHealthy) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (const char* service :
       {"", "berth.system.v1.System", "berth.images.v1.Images", "berth.images.v1.Content",
        "berth.runtime.v1.Containers", "berth.runtime.v1.Tasks", "berth.network.v1.Networks",
        "berth.volumes.v1.Volumes"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok()) << service;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
}

TEST_F(AllInOneTest, VersionListsTheFourLocalServices) {
  auto version = berthd_->Version();
  BERTH_ASSERT_OK(version);
  std::vector<std::string> names;
  for (const auto& s : version->services()) {
    names.push_back(s.name());
    EXPECT_TRUE(s.local()) << s.name();
    EXPECT_EQ(s.version(), version->version());
    EXPECT_EQ(s.address(), berthd_->address());
  }
  EXPECT_THAT(names, UnorderedElementsAre("images", "runtime", "network", "volumes"));

  RunResult ctl = RunCommand({BerthctlPath(), "-H", berthd_->address(), "version"});
  ASSERT_EQ(ctl.exit_code, 0) << ctl.err;
  for (const char* name : {" images:", " runtime:", " network:", " volumes:", "Server: berth"}) {
    EXPECT_THAT(ctl.out, HasSubstr(name));
  }
}

TEST_F(AllInOneTest, PendingRpcAnswersUnimplementedNamingIt) {
  auto images = berth::images::v1::Images::NewStub(channel_);
  grpc::ClientContext context;
  // Usage is not written yet in a service whose other RPCs are.
  berth::images::v1::ImageUsageRequest request;
  berth::images::v1::ImageUsageResponse response;
  grpc::Status status = images->Usage(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(status.error_message(), HasSubstr("/berth.images.v1.Images/Usage"));
  EXPECT_THAT(status.error_message(), HasSubstr("not implemented"));
}

TEST_F(AllInOneTest, SocketIsMode0660AndLeavesNoStagingBehind) {
  struct stat st {};
  ASSERT_EQ(::stat(berthd_->socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  std::string parent = berthd_->socket_path().substr(0, berthd_->socket_path().rfind('/'));
  for (const auto& entry : std::filesystem::directory_iterator(parent)) {
    EXPECT_NE(entry.path().filename().string()[0], '.') << entry.path();
  }
}

TEST_F(AllInOneTest, MetricsCarryTheStandardFamiliesAndCountCalls) {
  auto address = berthd_->MetricsAddress();
  BERTH_ASSERT_OK(address);
  auto before = HttpGet("http://" + *address + "/metrics");
  BERTH_ASSERT_OK(before);
  for (const char* family : {"grpc_server_started_total", "grpc_server_handled_total",
                             "grpc_server_handling_seconds_bucket", "process_resident_memory_bytes",
                             "process_cpu_seconds_total", "process_open_fds",
                             "process_start_time_seconds", "berth_build_info"}) {
    EXPECT_GE(MetricValue(*before, family), 0) << family;
  }
  // Every method's series exist before any call, as go-grpc-prometheus initialises them.
  EXPECT_EQ(MetricValue(*before, "grpc_server_started_total",
                        {"grpc_service=\"berth.images.v1.Transfer\"", "grpc_method=\"Pull\"",
                         "grpc_type=\"server_stream\""}),
            0);
  EXPECT_GT(MetricValue(*before, "process_resident_memory_bytes"), 0);

  const std::vector<std::string> version_series = {
      "grpc_method=\"Version\"", "grpc_service=\"berth.system.v1.System\"", "grpc_type=\"unary\""};
  double started = MetricValue(*before, "grpc_server_started_total", version_series);
  RunResult ctl = RunCommand({BerthctlPath(), "-H", berthd_->address(), "version"});
  ASSERT_EQ(ctl.exit_code, 0) << ctl.err;

  auto after = HttpGet("http://" + *address + "/metrics");
  BERTH_ASSERT_OK(after);
  EXPECT_EQ(MetricValue(*after, "grpc_server_started_total", version_series), started + 1);
  std::vector<std::string> ok_series = version_series;
  ok_series.push_back("grpc_code=\"OK\"");
  EXPECT_GE(MetricValue(*after, "grpc_server_handled_total", ok_series), 1);
  std::vector<std::string> inf_bucket = version_series;
  inf_bucket.push_back("le=\"+Inf\"");
  EXPECT_GE(MetricValue(*after, "grpc_server_handling_seconds_bucket", inf_bucket), 1);
  EXPECT_GE(MetricValue(*after, "berth_build_info", {"version=\""}), 1);
}

TEST_F(AllInOneTest, SigtermStopsCleanlyAndRemovesTheSocket) {
  EXPECT_EQ(berthd_->Stop(SIGTERM), 0);
  EXPECT_NE(::access(berthd_->socket_path().c_str(), F_OK), 0);
  EXPECT_THAT(berthd_->Log(), HasSubstr("berthd stopped"));
}

TEST_F(AllInOneTest, SecondDaemonOnTheSameSocketIsRefused) {
  BerthdOptions options;
  options.name = "second";
  options.socket = berthd_->socket_path();
  options.wait_ready = false;
  auto second = BerthdProcess::Start(dir_, options);
  BERTH_ASSERT_OK(second);
  EXPECT_EQ((*second)->WaitExit(30), 1);
  EXPECT_THAT((*second)->Log(), HasSubstr("another process is serving"));
  BERTH_EXPECT_OK(berthd_->Info());  // the first one is untouched
}

TEST(DaemonStartTest, NotifiesSystemdWhenReady) {
  TestDir dir;
  std::string notify_path = dir / "notify.sock";
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, notify_path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  BerthdOptions options;
  options.env = {"NOTIFY_SOCKET=" + notify_path};
  auto berthd = BerthdProcess::Start(dir, options);
  BERTH_ASSERT_OK(berthd);
  char buffer[256] = {};
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ssize_t n = ::recv(fd, buffer, sizeof(buffer) - 1, 0);
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_THAT(std::string(buffer, n), HasSubstr("READY=1"));
}

TEST(DaemonStartTest, UnknownDaemonJsonKeyIsNamed) {
  TestDir dir;
  BerthdOptions options;
  options.daemon_json = {{"bipp", "10.0.0.1/24"}};
  options.wait_ready = false;
  auto berthd = BerthdProcess::Start(dir, options);
  BERTH_ASSERT_OK(berthd);
  EXPECT_EQ((*berthd)->WaitExit(30), 1);
  EXPECT_THAT((*berthd)->Log(), HasSubstr("unknown key \\\"bipp\\\""));
}

TEST(DaemonStartTest, InfoReportsTheTestsCgroupParent) {
  TestDir dir;
  auto berthd = BerthdProcess::Start(dir, {});
  BERTH_ASSERT_OK(berthd);
  auto info = (*berthd)->Info();
  BERTH_ASSERT_OK(info);
  bool found = false;
  for (const auto& s : info->services()) {
    if (s.name() != "runtime") continue;
    found = true;
    EXPECT_EQ(s.details().at("cgroup_parent"), (*berthd)->cgroup_parent());
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(info->root_dir(), (*berthd)->root());
}

}  // namespace
}  // namespace berth::testing
