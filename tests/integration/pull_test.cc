// berthctl pull against a real docker-registry on 127.0.0.1, holding a busybox image that
// skopeo (an independent producer) pushed from an OCI archive built here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/registry_process.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/test_certs.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/skopeo", X_OK) != 0) GTEST_SKIP() << "skopeo is not installed";
    auto registry = RegistryProcess::Start();
    if (registry.status().code() == absl::StatusCode::kNotFound) GTEST_SKIP() << registry.status();
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
    RunResult archive = MakeBusyboxImage(dir_ / "busybox.tar",
                                         {"--format", "oci-archive", "--name", "busybox:latest"});
    ASSERT_EQ(archive.exit_code, 0) << archive.err;
    std::ofstream(dir_ / "policy.json") << R"({"default":[{"type":"insecureAcceptAnything"}]})";
    RunResult push = RunCommand({"/usr/bin/skopeo", "--policy", dir_ / "policy.json", "copy",
                                 "--dest-tls-verify=false", "oci-archive:" + (dir_ / "busybox.tar"),
                                 "docker://" + registry_->host() + "/library/busybox:latest"});
    ASSERT_EQ(push.exit_code, 0) << push.err;
    auto berthd = BerthdProcess::Start(dir_, {});
    ASSERT_TRUE(berthd.ok()) << berthd.status();
    berthd_ = std::move(*berthd);
  }

  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {BerthctlPath(), "-H", berthd_->address()});
    return RunCommand(args);
  }

  TestDir dir_;
  std::unique_ptr<RegistryProcess> registry_;
  std::unique_ptr<BerthdProcess> berthd_;
};

TEST_F(PullTest, PullsUnpacksAndSaysWhenUpToDate) {
  const std::string name = registry_->host() + "/library/busybox";
  RunResult first = Ctl({"pull", name});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, StartsWith("latest: Pulling from library/busybox\n"));
  EXPECT_THAT(first.out, HasSubstr(": Pull complete\n"));
  EXPECT_THAT(first.out, HasSubstr("Digest: sha256:"));
  EXPECT_THAT(first.out, HasSubstr("Status: Downloaded newer image for " + name + ":latest\n"));

  // The snapshot holds the exact files of the rootfs skopeo pushed.
  // The snapshot holds exactly the files of the image skopeo pushed: the same tree the
  // generator lists (`tar tv` of the layer), and bin/busybox byte for byte.
  std::string fs_dir;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           berthd_->root() + "/images/snapshots/snapshots")) {
    if (entry.path().filename() == "busybox" && entry.path().parent_path().filename() == "bin") {
      fs_dir = entry.path().parent_path().parent_path().string();
    }
  }
  ASSERT_FALSE(fs_dir.empty()) << "bin/busybox is in no snapshot";
  RunResult same = RunCommand({"/usr/bin/cmp", fs_dir + "/bin/busybox", "/bin/busybox"});
  EXPECT_EQ(same.exit_code, 0) << same.out;
  RunResult listed = RunCommand({"/bin/sh", "-c", "cd " + fs_dir + " && find . ! -type d | sort"});
  RunResult layer = RunCommand({"/bin/sh", "-c",
                                "cd " + dir_.path() +
                                    " && mkdir -p unpacked && tar -xf busybox.tar -C unpacked && "
                                    "for b in unpacked/blobs/sha256/*; do tar -tzf $b 2>/dev/null "
                                    "|| tar -tf $b 2>/dev/null; "
                                    "done | grep -v '/$' | sed 's|^\\./||; s|^|./|' | sort -u"});
  EXPECT_EQ(listed.out, layer.out);
  EXPECT_THAT(listed.out, HasSubstr("./bin/sh\n"));
  EXPECT_THAT(layer.out, HasSubstr("./etc/passwd\n"));  // the listing itself worked

  RunResult second = Ctl({"pull", name + ":latest"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr(": Already exists\n"));
  EXPECT_THAT(second.out, HasSubstr("Status: Image is up to date for " + name + ":latest\n"));

  RunResult quiet = Ctl({"pull", "-q", name});
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.out, name + ":latest\n");

  // The images service counted the layer bytes once and three successful pulls.
  auto address = berthd_->MetricsAddress();
  BERTH_ASSERT_OK(address);
  auto metrics = HttpGet("http://" + *address + "/metrics");
  BERTH_ASSERT_OK(metrics);
  EXPECT_GT(MetricValue(*metrics, "berth_images_pulled_bytes_total"), 0);
  EXPECT_EQ(MetricValue(*metrics, "berth_images_pull_duration_seconds_count", {"result=\"ok\""}),
            3);
}

TEST_F(PullTest, MissingTagAndBadReferenceFailClearly) {
  RunResult missing = Ctl({"pull", registry_->host() + "/library/busybox:nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("Error response from daemon: manifest for"));
  EXPECT_THAT(missing.err, HasSubstr("not found"));

  RunResult upper = Ctl({"pull", "BusyBox"});
  EXPECT_EQ(upper.exit_code, 1);
  EXPECT_THAT(upper.err, HasSubstr("invalid reference format: repository name must be lowercase"));

  RunResult no_arg = Ctl({"pull"});
  EXPECT_EQ(no_arg.exit_code, 125);
}

// A registry that wants client certificates: berthd presents the ones in its
// registry-certs-dir (Docker's certs.d layout) and fails clearly without them.
TEST(TlsRegistryTest, ClientCertificateFromCertsDir) {
  if (::access("/usr/bin/skopeo", X_OK) != 0) GTEST_SKIP() << "skopeo is not installed";
  TestDir dir;
  std::filesystem::create_directories(dir / "pki");
  auto certs = MakeTestCertificates(dir / "pki");
  ASSERT_TRUE(certs.ok()) << certs.status();
  RegistryOptions options;
  options.tls_certificate = certs->server.cert;
  options.tls_key = certs->server.key;
  options.client_ca = certs->server.ca;
  auto registry = RegistryProcess::Start(options);
  if (registry.status().code() == absl::StatusCode::kNotFound) GTEST_SKIP() << registry.status();
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string host = (*registry)->host();

  // One certs.d for skopeo and berthd alike.
  const std::string certs_d = dir / "certs.d";
  const std::string host_dir = certs_d + "/" + host;
  std::filesystem::create_directories(host_dir);
  std::filesystem::copy_file(certs->server.ca, host_dir + "/ca.crt");
  std::filesystem::copy_file(certs->client.cert, host_dir + "/client.cert");
  std::filesystem::copy_file(certs->client.key, host_dir + "/client.key");

  RunResult archive = MakeBusyboxImage(dir / "busybox.tar", {"--format", "oci-archive"});
  ASSERT_EQ(archive.exit_code, 0) << archive.err;
  std::ofstream(dir / "policy.json") << R"({"default":[{"type":"insecureAcceptAnything"}]})";
  RunResult push = RunCommand({"/usr/bin/skopeo", "--policy", dir / "policy.json", "copy",
                               "--dest-cert-dir", host_dir, "oci-archive:" + (dir / "busybox.tar"),
                               "docker://" + host + "/library/busybox:tls"});
  ASSERT_EQ(push.exit_code, 0) << push.err;

  BerthdOptions with_certs;
  with_certs.daemon_json = {{"registry-certs-dir", certs_d}};
  auto berthd = BerthdProcess::Start(dir, with_certs);
  ASSERT_TRUE(berthd.ok()) << berthd.status();
  RunResult pulled = RunCommand(
      {BerthctlPath(), "-H", (*berthd)->address(), "pull", host + "/library/busybox:tls"});
  EXPECT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_THAT(pulled.out, HasSubstr("Status: Downloaded newer image"));

  BerthdOptions without;
  without.name = "berthd-nocerts";
  without.daemon_json = {{"registry-certs-dir", dir / "empty-certs.d"}};
  auto bare = BerthdProcess::Start(dir, without);
  ASSERT_TRUE(bare.ok()) << bare.status();
  RunResult refused =
      RunCommand({BerthctlPath(), "-H", (*bare)->address(), "pull", host + "/library/busybox:tls"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("Error response from daemon: TLS handshake with " + host));
}

TEST(LoadTest, LoadsDockerAndOciArchivesFromAFileAndFromStdin) {
  TestDir dir;
  for (const char* format : {"docker-archive", "oci-archive"}) {
    RunResult made = MakeBusyboxImage(dir / (std::string(format) + ".tar"),
                                      {"--format", format, "--name", "busybox:latest"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  auto berthd = BerthdProcess::Start(dir, {});
  ASSERT_TRUE(berthd.ok()) << berthd.status();
  RunResult from_file = RunCommand(
      {BerthctlPath(), "-H", (*berthd)->address(), "load", "-i", dir / "docker-archive.tar"});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(from_file.out, "Loaded image: busybox:latest\n");
  RunResult from_stdin = RunCommand(
      {"/bin/sh", "-c",
       BerthctlPath() + " -H " + (*berthd)->address() + " load < " + dir / "oci-archive.tar"});
  EXPECT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.out, "Loaded image: busybox:latest\n");

  std::ofstream(dir / "junk.tar") << "not an archive";
  RunResult junk =
      RunCommand({BerthctlPath(), "-H", (*berthd)->address(), "load", "-i", dir / "junk.tar"});
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_THAT(junk.err, HasSubstr("Error response from daemon:"));
}

}  // namespace
}  // namespace berth::testing
