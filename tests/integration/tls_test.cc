// berthd on TCP: refused without TLS, loud when explicitly insecure, mutual TLS
// accepted for the trusted CA's client and refused for anyone else.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "common/rpc/channel.h"
#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/test_certs.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

std::string TcpAddress(const BerthdProcess& berthd) {
  auto info = berthd.Info();
  if (!info.ok()) return "";
  for (const auto& address : info->listen_addresses()) {
    if (address.rfind("tcp://", 0) == 0) return address;
  }
  return "";
}

grpc::Status CallVersion(const std::string& address,
                         const std::optional<rpc::ClientTlsFiles>& tls) {
  auto channel = rpc::Dial(address, tls);
  if (!channel.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "dial failed");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  system::v1::VersionResponse response;
  return system::v1::System::NewStub(*channel)->Version(&context, {}, &response);
}

TEST(TlsTest, TcpWithoutTlsIsRefused) {
  TestDir dir;
  BerthdOptions options;
  options.args = {"-H", "tcp://127.0.0.1:0"};
  options.wait_ready = false;
  auto berthd = BerthdProcess::Start(dir, options);
  BERTH_ASSERT_OK(berthd);
  EXPECT_EQ((*berthd)->WaitExit(30), 1);
  EXPECT_THAT((*berthd)->Log(), HasSubstr("without mutual TLS"));
}

TEST(TlsTest, ExplicitlyInsecureTcpWarnsLoudly) {
  TestDir dir;
  BerthdOptions options;
  options.args = {"-H", "tcp://127.0.0.1:0", "--allow-insecure-tcp"};
  auto berthd = BerthdProcess::Start(dir, options);
  BERTH_ASSERT_OK(berthd);
  EXPECT_THAT((*berthd)->Log(), HasSubstr("WITHOUT TLS"));
  std::string tcp = TcpAddress(**berthd);
  ASSERT_FALSE(tcp.empty());
  EXPECT_TRUE(CallVersion(tcp, std::nullopt).ok());
}

class MutualTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certs = MakeTestCertificates(dir_.path());
    BERTH_ASSERT_OK(certs);
    certs_ = *certs;
    BerthdOptions options;
    options.args = {
        "-H",        "tcp://127.0.0.1:0", "--tlsverify", "--tlscacert",    certs_.server.ca,
        "--tlscert", certs_.server.cert,  "--tlskey",    certs_.server.key};
    auto started = BerthdProcess::Start(dir_, options);
    BERTH_ASSERT_OK(started);
    berthd_ = *std::move(started);
    tcp_ = TcpAddress(*berthd_);
    ASSERT_FALSE(tcp_.empty());
  }

  TestDir dir_;
  TestCertificates certs_;
  std::unique_ptr<BerthdProcess> berthd_;
  std::string tcp_;
};

TEST_F(MutualTlsTest, TrustedClientCertificateIsAccepted) {
  grpc::Status status = CallVersion(
      tcp_, rpc::ClientTlsFiles{certs_.client.ca, certs_.client.cert, certs_.client.key});
  EXPECT_TRUE(status.ok()) << status.error_message();

  RunResult ctl =
      RunCommand({BerthctlPath(), "-H", tcp_, "--tlsverify", "--tlscacert", certs_.client.ca,
                  "--tlscert", certs_.client.cert, "--tlskey", certs_.client.key, "version"});
  EXPECT_EQ(ctl.exit_code, 0) << ctl.err;
  EXPECT_THAT(ctl.out, HasSubstr("Server: berth"));
}

TEST_F(MutualTlsTest, CertificateFromAnotherCaIsRefused) {
  grpc::Status status =
      CallVersion(tcp_, rpc::ClientTlsFiles{certs_.other_client.ca, certs_.other_client.cert,
                                            certs_.other_client.key});
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(MutualTlsTest, PlaintextClientIsRefused) {
  EXPECT_FALSE(CallVersion(tcp_, std::nullopt).ok());
}

}  // namespace
}  // namespace berth::testing
