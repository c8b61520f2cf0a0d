// berthctl's own behaviour: Docker's help layout, exit codes and host selection.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_join.h"
#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(BerthctlTest, HelpFollowsDockersLayout) {
  RunResult r = RunCommand({BerthctlPath(), "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, StartsWith("\nUsage:  berthctl [OPTIONS] COMMAND\n"));
  EXPECT_THAT(r.out, HasSubstr("Commands:\n"));
  EXPECT_THAT(r.out, HasSubstr("  version     Show the berth version information"));
  EXPECT_THAT(r.out, HasSubstr("Global Options:\n"));
  EXPECT_THAT(r.out, HasSubstr("Run 'berthctl COMMAND --help'"));
}

TEST(BerthctlTest, EachCommandPrintsItsOwnUsage) {
  const std::vector<std::vector<std::string>> commands = {{"run", "--help"},
                                                          {"network", "create", "--help"},
                                                          {"container", "ls", "-h"},
                                                          {"volume", "rm", "--help"},
                                                          {"image", "ls", "--help"}};
  for (const std::vector<std::string>& words : commands) {
    const std::string name =
        "berthctl " + absl::StrJoin(words.begin(), words.end() - 1, " ");  // without the flag
    std::vector<std::string> argv = {BerthctlPath()};
    argv.insert(argv.end(), words.begin(), words.end());
    RunResult r = RunCommand(argv);
    EXPECT_EQ(r.exit_code, 0) << name;
    EXPECT_THAT(r.out, HasSubstr("Usage: " + name + " [OPTIONS]")) << r.out;
  }
  // `run -h` is --hostname, as Docker's: it wants a value.
  EXPECT_EQ(RunCommand({BerthctlPath(), "run", "-h"}).exit_code, 125);
}

TEST(BerthctlTest, UsageErrorsExit125) {
  RunResult unknown_flag = RunCommand({BerthctlPath(), "--no-such-flag", "version"});
  EXPECT_EQ(unknown_flag.exit_code, 125);
  EXPECT_THAT(unknown_flag.err, HasSubstr("See 'berthctl --help'."));

  RunResult unknown_command = RunCommand({BerthctlPath(), "frobnicate"});
  EXPECT_EQ(unknown_command.exit_code, 125);
  EXPECT_THAT(unknown_command.err, HasSubstr("'frobnicate' is not a berthctl command"));

  RunResult bad_value = RunCommand({BerthctlPath(), "version", "--format", "xml"});
  EXPECT_EQ(bad_value.exit_code, 125);
  EXPECT_THAT(bad_value.err, HasSubstr("See 'berthctl version --help'."));

  EXPECT_EQ(RunCommand({BerthctlPath()}).exit_code, 125);
}

TEST(BerthctlTest, UnreachableDaemonExits1AndSaysWhere) {
  TestDir dir;
  std::string host = "unix://" + (dir / "nothing.sock");
  RunResult r = RunCommand({BerthctlPath(), "-H", host, "version"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("Client:"));
  EXPECT_THAT(r.err, HasSubstr("Cannot connect to berthd at " + host));
}

TEST(BerthctlTest, BerthHostSelectsTheDaemonAndJsonFormatParses) {
  TestDir dir;
  auto berthd = BerthdProcess::Start(dir, {});
  BERTH_ASSERT_OK(berthd);
  RunResult r = RunCommand({BerthctlPath(), "version", "--format", "json"},
                           {"BERTH_HOST=" + (*berthd)->address()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["Server"]["Services"].size(), 4u);

  RunResult info = RunCommand({BerthctlPath(), "-H", (*berthd)->address(), "info"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  for (const char* line : {"Storage Driver:", "Cgroup Version:", "CNI Plugin Dir:",
                           "Berth Root Dir: ", "Kernel Version:"}) {
    EXPECT_THAT(info.out, HasSubstr(line));
  }
  EXPECT_THAT(info.out, HasSubstr("Berth Root Dir: " + (*berthd)->root()));
}

}  // namespace
}  // namespace berth::testing
