// berthctl login / logout / search and pull with credentials, against real docker-registry
// processes on 127.0.0.1: one with htpasswd Basic auth, one with token auth (a Bearer
// token from tests/harness/token_issuer.py). skopeo pushes a busybox image there first.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/registry_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUser[] = "berth";
constexpr char kPassword[] = "s3cret";

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The parameter: "htpasswd" or "token".
class LoginTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/skopeo", X_OK) != 0) GTEST_SKIP() << "skopeo is not installed";
    RegistryOptions options;
    options.username = kUser;
    options.password = kPassword;
    options.token_auth = GetParam() == "token";
    auto registry = RegistryProcess::Start(options);
    if (registry.status().code() == absl::StatusCode::kNotFound) GTEST_SKIP() << registry.status();
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
    RunResult archive = MakeBusyboxImage(dir_ / "busybox.tar",
                                         {"--format", "oci-archive", "--name", "busybox:latest"});
    ASSERT_EQ(archive.exit_code, 0) << archive.err;
    std::ofstream(dir_ / "policy.json") << R"({"default":[{"type":"insecureAcceptAnything"}]})";
    RunResult push =
        RunCommand({"/usr/bin/skopeo", "--policy", dir_ / "policy.json", "copy",
                    "--dest-tls-verify=false", "--dest-creds", std::string(kUser) + ":" + kPassword,
                    "oci-archive:" + (dir_ / "busybox.tar"),
                    "docker://" + registry_->host() + "/team/busybox:latest"});
    ASSERT_EQ(push.exit_code, 0) << push.err;
    std::filesystem::create_directories(home_);
    auto berthd = BerthdProcess::Start(dir_, {});
    ASSERT_TRUE(berthd.ok()) << berthd.status();
    berthd_ = std::move(*berthd);
  }

  // berthctl with HOME in the test's directory, so config.json is the test's own.
  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {BerthctlPath(), "-H", berthd_->address()});
    return RunCommand(args, {"HOME=" + home_.string()});
  }
  std::string ConfigJson() const { return ReadText(home_ / ".berth/config.json"); }

  TestDir dir_;
  std::filesystem::path home_ = dir_ / "home";
  std::unique_ptr<RegistryProcess> registry_;
  std::unique_ptr<BerthdProcess> berthd_;
};

TEST_P(LoginTest, LoginPullSearchLogout) {
  const std::string host = registry_->host();
  const std::string image = host + "/team/busybox";
  RunResult anonymous = Ctl({"pull", image});
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_THAT(anonymous.err, HasSubstr("authentication required"));

  RunResult wrong = Ctl({"login", "-u", kUser, "-p", "wrong", host});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("Error response from daemon: login to " + host));
  EXPECT_THAT(wrong.err, HasSubstr("incorrect username or password"));
  EXPECT_FALSE(std::filesystem::exists(home_ / ".berth/config.json"));

  RunResult right =
      RunCommand({"/bin/sh", "-c",
                  "printf '%s\\n' \"$PW\" | " + BerthctlPath() + " -H " + berthd_->address() +
                      " login -u " + kUser + " --password-stdin " + host},
                 {"HOME=" + home_.string(), std::string("PW=") + kPassword});
  ASSERT_EQ(right.exit_code, 0) << right.err;
  EXPECT_EQ(right.out, "Login Succeeded\n");
  EXPECT_THAT(ConfigJson(), HasSubstr("\"" + host + "\""));
  EXPECT_THAT(ConfigJson(), HasSubstr("YmVydGg6czNjcmV0"));  // base64("berth:s3cret")
  struct stat info {};
  ASSERT_EQ(::stat((home_ / ".berth/config.json").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  RunResult pulled = Ctl({"pull", image});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_THAT(pulled.out, HasSubstr("Status: Downloaded newer image for " + image + ":latest\n"));

  RunResult search = Ctl({"search", host + "/busy"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  EXPECT_THAT(search.out, HasSubstr("NAME"));
  EXPECT_THAT(search.out, HasSubstr("OFFICIAL"));
  EXPECT_THAT(search.out, HasSubstr(image));
  RunResult names = Ctl({"search", "--format", "{{.Name}}", "--limit", "5", host + "/busy"});
  ASSERT_EQ(names.exit_code, 0) << names.err;
  EXPECT_EQ(names.out, image + "\n");
  RunResult none = Ctl({"search", "--format", "{{.Name}}", host + "/nothing-like-it"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "");

  RunResult logout = Ctl({"logout", host});
  EXPECT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_EQ(logout.out, "Removing login credentials for " + host + "\n");
  EXPECT_THAT(ConfigJson(), Not(HasSubstr(host)));
  RunResult again = Ctl({"logout", host});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "Not logged in to " + host + "\n");

  RunResult refused = Ctl({"search", host + "/busy"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("authentication required"));
}

TEST_P(LoginTest, LoginWithoutPasswordNeedsATerminalAndSearchNeedsAHost) {
  RunResult no_tty = Ctl({"login", "-u", kUser, registry_->host()});
  EXPECT_EQ(no_tty.exit_code, 1);
  EXPECT_THAT(no_tty.err, HasSubstr("Cannot perform an interactive login from a non TTY device"));
  RunResult both = Ctl({"login", "-u", kUser, "-p", "x", "--password-stdin", registry_->host()});
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_THAT(both.err, HasSubstr("mutually exclusive"));
  EXPECT_FALSE(std::filesystem::exists(home_ / ".berth/config.json"));

  RunResult hub = Ctl({"search", "busybox"});
  EXPECT_EQ(hub.exit_code, 1);
  EXPECT_THAT(hub.err, HasSubstr("HOST[:PORT]/TERM"));
}

INSTANTIATE_TEST_SUITE_P(Auth, LoginTest, ::testing::Values("htpasswd", "token"));

}  // namespace
}  // namespace berth::testing
