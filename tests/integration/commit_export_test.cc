// berthctl commit and export against a private berthd: a container's changes (a new
// file, a deleted image file, a changed one) committed with a new CMD and run again,
// untagged commits, a running container paused and resumed around its commit, the
// container's tree exported to a file and a pipe, bad input refused with nothing made;
// and both again with one berthd per service.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/berthd_test.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class CommitExportTest : public BerthdTest {
 protected:
  void SetUp() override {
    BerthdTest::SetUp();
    if (HasFatalFailure()) return;
    // The container every test starts from: one new, one deleted, one changed file.
    RunResult run = Ctl({"run", "--name", "src", "-e", "FOO=bar", "busybox", "sh", "-c",
                         "echo hello > /hello && rm /etc/group && echo changed >> /etc/passwd"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  RunResult Ctl(std::vector<std::string> args) { return berthd_->Ctl(std::move(args)); }
  // `command` through /bin/sh, with $CTL standing for berthctl -H <berthd>.
  RunResult Shell(const std::string& command) {
    return RunCommand({"/bin/sh", "-c", command},
                      {"CTL=" + BerthctlPath() + " -H " + berthd_->address()});
  }

  // The member names of a tar, "./" and trailing "/" stripped.
  std::vector<std::string> TarNames(const std::string& file) {
    RunResult listed = RunCommand({"/usr/bin/tar", "-tf", file});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    std::vector<std::string> names;
    for (absl::string_view line : absl::StrSplit(listed.out, '\n', absl::SkipEmpty())) {
      line = absl::StripPrefix(line, "./");
      names.emplace_back(absl::StripSuffix(line, "/"));
    }
    return names;
  }

  size_t ImageCount() {
    RunResult ids = Ctl({"images", "-q"});
    EXPECT_EQ(ids.exit_code, 0) << ids.err;
    std::vector<std::string> lines = absl::StrSplit(ids.out, '\n', absl::SkipEmpty());
    return lines.size();
  }
};

TEST_F(CommitExportTest, CommittedImageHasTheChangesAndTheNewCmd) {
  RunResult commit = Ctl({"commit", "-a", "Ann <ann@example.com>", "-m", "added hello", "-c",
                          R"(CMD ["cat","/hello"])", "src", "committed:v1"});
  ASSERT_EQ(commit.exit_code, 0) << commit.err;
  EXPECT_THAT(commit.out, MatchesRegex("sha256:[0-9a-f]{64}\n"));
  RunResult id = Ctl({"image", "inspect", "-f", "{{.Id}}", "committed:v1"});
  EXPECT_EQ(id.out, commit.out);
  RunResult author = Ctl({"image", "inspect", "-f", "{{.Author}}", "committed:v1"});
  EXPECT_EQ(author.out, "Ann <ann@example.com>\n");
  RunResult env = Ctl({"image", "inspect", "-f", "{{json .Config.Env}}", "committed:v1"});
  EXPECT_THAT(env.out, HasSubstr("\"FOO=bar\""));  // the container's env, not only the image's

  RunResult cmd = Ctl({"run", "--rm", "committed:v1"});
  EXPECT_EQ(cmd.exit_code, 0) << cmd.err;
  EXPECT_EQ(cmd.out, "hello\n");
  RunResult files = Ctl({"run", "--rm", "committed:v1", "sh", "-c",
                         "test -e /etc/group || echo no group; tail -n 1 /etc/passwd"});
  EXPECT_EQ(files.exit_code, 0) << files.err;
  EXPECT_EQ(files.out, "no group\nchanged\n");

  RunResult history = Ctl({"history", "--no-trunc", "--format", "{{.Comment}}", "committed:v1"});
  EXPECT_EQ(history.exit_code, 0) << history.err;
  EXPECT_THAT(history.out, HasSubstr("added hello"));
}

TEST_F(CommitExportTest, CommitWithoutRepositoryIsAnUntaggedImage) {
  RunResult commit = Ctl({"commit", "src"});
  ASSERT_EQ(commit.exit_code, 0) << commit.err;
  ASSERT_THAT(commit.out, MatchesRegex("sha256:[0-9a-f]{64}\n"));
  const std::string short_id = commit.out.substr(7, 12);
  RunResult dangling = Ctl({"images", "-q", "--filter", "dangling=true"});
  EXPECT_EQ(dangling.out, short_id + "\n");
  RunResult table = Ctl({"images"});
  EXPECT_THAT(table.out, MatchesRegex("(.|\n)*<none> +<none> +" + short_id + "(.|\n)*"));
}

TEST_F(CommitExportTest, RunningContainerIsPausedForTheCommitAndRunsOn) {
  const std::string since = std::to_string(absl::ToUnixSeconds(absl::Now()) - 1);
  RunResult run = Ctl({"run", "-d", "--name", "live", "busybox", "sh", "-c",
                       "echo up > /up; while true; do sleep 0.1; done"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  RunResult commit;
  for (int i = 0; i < 50; ++i) {  // until the file is written
    commit = Ctl({"commit", "live", "live:snap"});
    ASSERT_EQ(commit.exit_code, 0) << commit.err;
    if (Ctl({"run", "--rm", "live:snap", "cat", "/up"}).out == "up\n") break;
    ::usleep(100 * 1000);
  }
  EXPECT_EQ(Ctl({"run", "--rm", "live:snap", "cat", "/up"}).out, "up\n");
  RunResult status = Ctl({"inspect", "-f", "{{.State.Status}}", "live"});
  EXPECT_EQ(status.out, "running\n");
  const std::string until = std::to_string(absl::ToUnixSeconds(absl::Now()) + 1);
  RunResult events = Ctl({"events", "--since", since, "--until", until, "--filter",
                          "container=live", "--format", "{{.Action}}"});
  EXPECT_THAT(events.out, HasSubstr("pause\nunpause\n")) << events.err;
  RunResult unpaused = Ctl({"commit", "--pause=false", "live", "live:nopause"});
  EXPECT_EQ(unpaused.exit_code, 0) << unpaused.err;
}

TEST_F(CommitExportTest, ExportWritesTheMergedTreeToAFileOrAPipe) {
  RunResult exported = Ctl({"export", "-o", dir_ / "src.tar", "src"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.out, "");
  std::vector<std::string> names = TarNames(dir_ / "src.tar");
  EXPECT_THAT(names, Contains("hello"));
  EXPECT_THAT(names, Contains("bin/busybox"));
  EXPECT_THAT(names, Contains("etc/passwd"));
  EXPECT_THAT(names, Not(Contains("etc/group")));
  EXPECT_THAT(names, Not(Contains(HasSubstr(".wh."))));
  RunResult passwd = RunCommand({"/usr/bin/tar", "-xOf", dir_ / "src.tar", "etc/passwd"});
  EXPECT_THAT(passwd.out, HasSubstr("changed\n"));

  // A running container, to a pipe; Python's tarfile reads the stream.
  ASSERT_EQ(Ctl({"run", "-d", "--name", "live", "busybox", "sh", "-c",
                 "echo up > /up; while true; do sleep 0.1; done"})
                .exit_code,
            0);
  RunResult piped;
  for (int i = 0; i < 50; ++i) {
    piped = Shell(
        "$CTL export live | python3 -c 'import sys, tarfile; "
        "print(\"\\n\".join(tarfile.open(fileobj=sys.stdin.buffer, mode=\"r|\").getnames()))'");
    ASSERT_EQ(piped.exit_code, 0) << piped.err;
    if (absl::StrContains(piped.out, "up\n")) break;
    ::usleep(100 * 1000);
  }
  EXPECT_THAT(piped.out, HasSubstr("bin/busybox\n"));
  EXPECT_THAT(piped.out, HasSubstr("up\n"));
}

TEST_F(CommitExportTest, BadInputIsRefusedAndMakesNothing) {
  const size_t images = ImageCount();
  RunResult missing = Ctl({"commit", "nosuch", "x:v1"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("No such container: nosuch"));

  RunResult bad_change = Ctl({"commit", "-c", "RUN echo no", "src", "bad:v1"});
  EXPECT_EQ(bad_change.exit_code, 1);
  EXPECT_THAT(bad_change.err, HasSubstr("Error response from daemon:"));
  EXPECT_THAT(bad_change.err, HasSubstr("RUN is not a valid change command"));
  EXPECT_NE(Ctl({"image", "inspect", "bad:v1"}).exit_code, 0);
  EXPECT_EQ(ImageCount(), images);

  RunResult export_missing = Ctl({"export", "-o", dir_ / "none.tar", "nosuch"});
  EXPECT_EQ(export_missing.exit_code, 1);
  EXPECT_THAT(export_missing.err, HasSubstr("No such container: nosuch"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "none.tar"));

  // A terminal on stdout is refused, as Docker does; script(1) gives berthctl one.
  if (::access("/usr/bin/script", X_OK) == 0) {
    RunResult tty = Shell("script -qec \"$CTL export src\" /dev/null");
    EXPECT_NE(tty.exit_code, 0);
    EXPECT_THAT(tty.out, HasSubstr("cowardly refusing to save to a terminal"));
  }
}

// One berthd per service: the runtime reaches Images.Commit and the snapshot's mounts
// only over gRPC.
TEST(CommitExportSplitTest, CommitAndExportWorkWithImagesAndRuntimeApart) {
  TestDir dir;
  const std::vector<std::string> names = {"images", "runtime", "network", "volumes"};
  std::vector<std::string> addresses;
  for (const std::string& name : names) {
    addresses.push_back("--service-address");
    addresses.push_back(name + "=unix://" + (dir / name) + "/" + name + ".sock");
  }
  std::map<std::string, std::unique_ptr<BerthdProcess>> daemons;
  for (const std::string& name : names) {
    BerthdOptions options;
    options.name = name;
    options.services = {name};
    options.args = addresses;
    auto started = BerthdProcess::Start(dir, options);
    ASSERT_TRUE(started.ok()) << started.status();
    daemons[name] = *std::move(started);
  }
  auto ctl = [&](const std::string& host, std::vector<std::string> args) {
    args.insert(args.begin(), {BerthctlPath(), "-H", daemons[host]->address()});
    return RunCommand(args);
  };
  RunResult made = MakeBusyboxImage(dir / "busybox.tar",
                                    {"--format", "docker-archive", "--name", "busybox:latest"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ASSERT_EQ(ctl("images", {"load", "-i", dir / "busybox.tar"}).exit_code, 0);
  RunResult run =
      ctl("runtime", {"run", "--name", "src", "busybox", "sh", "-c", "echo split > /split"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  RunResult commit =
      ctl("runtime", {"commit", "-c", "CMD [\"cat\", \"/split\"]", "src", "split:v1"});
  EXPECT_EQ(commit.exit_code, 0) << commit.err;
  RunResult again = ctl("runtime", {"run", "--rm", "split:v1"});
  EXPECT_EQ(again.out, "split\n") << again.err;
  RunResult exported = ctl("runtime", {"export", "-o", dir / "src.tar", "src"});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  RunResult listed = RunCommand({"/usr/bin/tar", "-tf", dir / "src.tar"});
  EXPECT_THAT(listed.out, HasSubstr("split"));
  ctl("runtime", {"rm", "-f", "src"});
  daemons.erase("runtime");  // before the services it calls
}

}  // namespace
}  // namespace berth::testing
