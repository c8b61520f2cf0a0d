// Container logs in the CRI format end to end (what a CRI caller's kubelet reads):
// `--log-driver cri` makes the shim write "<RFC 3339 nano> <stream> <F|P> <text>" lines,
// `logs` reads them back per stream, with timestamps, and rotation applies as for
// json-file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "absl/strings/str_split.h"
#include "common/file_text.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/berthd_test.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

using LogsTest = BerthdTest;

TEST_F(LogsTest, CriFormatOnDiskAndReadBackPerStream) {
  RunResult run = berthd_->Ctl({"run", "-d", "--name", "pod", "--log-driver", "cri", "busybox",
                                "sh", "-c", "echo out; echo err >&2; sleep 0.3; echo 'two words'"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  RunResult waited = berthd_->Ctl({"wait", "pod"});
  ASSERT_EQ(waited.out, "0\n") << waited.err;

  const nlohmann::json inspect = berthd_->Inspect("pod");
  EXPECT_EQ(inspect["HostConfig"]["LogConfig"]["Type"], "cri");
  auto text = ReadFileText(inspect["LogPath"].get<std::string>());
  ASSERT_TRUE(text.ok()) << text.status();
  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z (stdout|stderr) [FP] .*)");
  std::vector<std::string> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << *text;
  for (const std::string& l : lines) EXPECT_TRUE(std::regex_match(l, line)) << l;
  EXPECT_THAT(*text, HasSubstr(" stdout F out\n"));
  EXPECT_THAT(*text, HasSubstr(" stderr F err\n"));
  EXPECT_THAT(*text, HasSubstr(" stdout F two words\n"));

  RunResult logs = berthd_->Ctl({"logs", "pod"});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_EQ(logs.out, "out\ntwo words\n");
  EXPECT_EQ(logs.err, "err\n");
  RunResult tail = berthd_->Ctl({"logs", "-t", "--tail", "1", "pod"});
  EXPECT_TRUE(std::regex_match(tail.out, std::regex(R"(\d{4}-\d\d-\d\dT[0-9:.]+Z two words\n)")))
      << tail.out;
}

TEST_F(LogsTest, CriLogsRotateAndAreStillRead) {
  RunResult run = berthd_->Ctl({"run", "-d", "--name", "chatty", "--log-driver", "cri", "--log-opt",
                                "max-size=2k", "--log-opt", "max-file=3", "busybox", "sh", "-c",
                                "i=0; while [ $i -lt 200 ]; do echo line$i; i=$((i+1)); done"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(berthd_->Ctl({"wait", "chatty"}).out, "0\n");
  const std::string path = berthd_->Inspect("chatty")["LogPath"].get<std::string>();
  EXPECT_TRUE(std::filesystem::exists(path + ".1"));
  EXPECT_TRUE(std::filesystem::exists(path + ".2"));
  EXPECT_FALSE(std::filesystem::exists(path + ".3"));
  EXPECT_LE(std::filesystem::file_size(path), 2048u);
  // The newest lines are there, read across the rotated files, the oldest gone.
  RunResult logs = berthd_->Ctl({"logs", "chatty"});
  EXPECT_THAT(logs.out, HasSubstr("line199\n"));
  EXPECT_THAT(logs.out, ::testing::Not(HasSubstr("line0\n")));
  EXPECT_EQ(berthd_->Ctl({"logs", "--tail", "2", "chatty"}).out, "line198\nline199\n");
}

}  // namespace
}  // namespace berth::testing
