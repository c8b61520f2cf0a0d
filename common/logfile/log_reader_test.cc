#include "common/logfile/log_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logfile/log_writer.h"
#include "common/status_matchers.h"

namespace berth::logfile {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kStart = absl::FromUnixSeconds(1796598350);

absl::Time At(int second) { return kStart + absl::Seconds(second); }

TEST(ParseLogLineTest, JsonFileLine) {
  std::optional<LogEntry> entry = ParseLogLine(
      R"({"log":"a\u0009\u003cb\u003e \"q\"\n","stream":"stderr","time":"2026-12-06T23:05:50.5Z"})",
      LogWriterOptions::kJsonFile);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->line, "a\t<b> \"q\"");
  EXPECT_EQ(entry->stream, Stream::kStderr);
  EXPECT_EQ(entry->time, kStart + absl::Milliseconds(500));
  EXPECT_FALSE(entry->partial);

  entry = ParseLogLine(R"({"log":"half","stream":"stdout","time":"2026-12-06T23:05:50Z"})",
                       LogWriterOptions::kJsonFile);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->line, "half");
  EXPECT_TRUE(entry->partial);
}

TEST(ParseLogLineTest, CriLine) {
  std::optional<LogEntry> entry =
      ParseLogLine("2026-12-06T23:05:50.669794202Z stdout F log  content ", LogWriterOptions::kCri);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->line, "log  content ");
  EXPECT_EQ(entry->time, kStart + absl::Nanoseconds(669794202));
  EXPECT_FALSE(entry->partial);
  entry = ParseLogLine("2026-12-06T23:05:50Z stderr P", LogWriterOptions::kCri);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->line, "");
  EXPECT_TRUE(entry->partial);
}

TEST(ParseLogLineTest, MalformedLinesAreRejected) {
  for (const char* line : {"", "not json", "{\"log\":\"x\\n\"}", "[1,2]",
                           R"({"log":"x","stream":"stdin","time":"2026-12-06T23:05:50Z"})",
                           R"({"log":"x","stream":"stdout","time":"yesterday"})",
                           R"({"log":7,"stream":"stdout","time":"2026-12-06T23:05:50Z"})",
                           "{\"log\":\"\xff\",\"stream\":\"stdout\"", "{\"log\":"}) {
    EXPECT_FALSE(ParseLogLine(line, LogWriterOptions::kJsonFile).has_value()) << line;
  }
  for (const char* line : {"", "2026-12-06T23:05:50Z", "2026-12-06T23:05:50Z stdout",
                           "2026-12-06T23:05:50Z stdout X text", "yesterday stdout F text",
                           "2026-12-06T23:05:50Z stdin F text"}) {
    EXPECT_FALSE(ParseLogLine(line, LogWriterOptions::kCri).has_value()) << line;
  }
}

TEST(FormatLogTimestampTest, AlwaysNineFractionDigits) {
  EXPECT_EQ(FormatLogTimestamp(kStart), "2026-12-06T23:05:50.000000000Z");
  EXPECT_EQ(FormatLogTimestamp(kStart + absl::Milliseconds(120)), "2026-12-06T23:05:50.120000000Z");
}

// Reads the writer's output back for each format.
class LogReaderTest : public ::testing::TestWithParam<LogWriterOptions::Format> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-logfile-reader-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/c.log";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  LogWriter OpenWriter(int64_t max_size = 0, int max_files = 1) {
    absl::StatusOr<LogWriter> writer = LogWriter::Open(
        {.path = path_, .format = GetParam(), .max_size_bytes = max_size, .max_files = max_files});
    EXPECT_THAT(writer, ::berth::testing::IsOk());
    return *std::move(writer);
  }

  // "o:<line>" / "e:<line>", and a trailing "~" on partial entries.
  std::vector<std::string> Read(const LogReadOptions& options, LogReadStats* stats = nullptr) {
    std::vector<std::string> seen;
    EXPECT_THAT(ReadLogs(
                    path_, GetParam(), options,
                    [&](const LogEntry& e) {
                      seen.push_back(Describe(e));
                      return true;
                    },
                    nullptr, stats),
                ::berth::testing::IsOk());
    return seen;
  }
  static std::string Describe(const LogEntry& e) {
    return absl::StrCat(e.stream == Stream::kStdout ? "o:" : "e:", e.line, e.partial ? "~" : "");
  }

  // Nine entries line0..line8 at seconds 0..8, three per file: path.2, path.1, path.
  void WriteRotatedLog() {
    // Every entry has the same length: three fill a file.
    std::string one;
    if (GetParam() == LogWriterOptions::kCri) {
      AppendCriLine(Stream::kStdout, "line0", true, At(0), &one);
    } else {
      AppendJsonFileLine(Stream::kStdout, "line0", true, At(0), &one);
    }
    const int64_t size = 3 * static_cast<int64_t>(one.size());
    LogWriter writer = OpenWriter(size, /*max_files=*/3);
    for (int i = 0; i < 9; ++i) {
      BERTH_ASSERT_OK(writer.Write(i % 3 == 2 ? Stream::kStderr : Stream::kStdout,
                                   absl::StrCat("line", i, "\n"), At(i)));
    }
    ASSERT_TRUE(std::filesystem::exists(path_ + ".2"));
    ASSERT_FALSE(std::filesystem::exists(path_ + ".3"));
  }

  std::string dir_;
  std::string path_;
};

TEST_P(LogReaderTest, MissingLogReadsAsEmpty) { EXPECT_THAT(Read({}), IsEmpty()); }

TEST_P(LogReaderTest, ReadsRotatedFilesOldestFirst) {
  WriteRotatedLog();
  EXPECT_THAT(Read({}), ElementsAre("o:line0", "o:line1", "e:line2", "o:line3", "o:line4",
                                    "e:line5", "o:line6", "o:line7", "e:line8"));
}

TEST_P(LogReaderTest, TailSpansRotatedFiles) {
  WriteRotatedLog();
  EXPECT_THAT(Read({.tail = 4}), ElementsAre("e:line5", "o:line6", "o:line7", "e:line8"));
  EXPECT_THAT(Read({.tail = 0}), IsEmpty());
  EXPECT_THAT(Read({.tail = 100}), ::testing::SizeIs(9));
  EXPECT_THAT(Read({.tail = -1}), ::testing::SizeIs(9));
  // The tail counts the entries that pass the filters.
  EXPECT_THAT(Read({.tail = 2, .stdout_ = false}), ElementsAre("e:line5", "e:line8"));
  EXPECT_THAT(Read({.tail = 2, .until = At(4)}), ElementsAre("o:line3", "o:line4"));
}

TEST_P(LogReaderTest, SinceAndUntilAreInclusive) {
  WriteRotatedLog();
  EXPECT_THAT(Read({.since = At(2), .until = At(4)}), ElementsAre("e:line2", "o:line3", "o:line4"));
  EXPECT_THAT(Read({.since = At(8)}), ElementsAre("e:line8"));
  EXPECT_THAT(Read({.until = At(0) - absl::Nanoseconds(1)}), IsEmpty());
}

TEST_P(LogReaderTest, StreamFilter) {
  WriteRotatedLog();
  EXPECT_THAT(Read({.stdout_ = false}), ElementsAre("e:line2", "e:line5", "e:line8"));
  EXPECT_THAT(Read({.stdout_ = false, .stderr_ = false}), IsEmpty());
}

TEST_P(LogReaderTest, PartialEntriesAndEscapesRoundTrip) {
  {
    LogWriter writer = OpenWriter();
    BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "tab\there \"<&>\" caf\xc3\xa9\n", At(0)));
    BERTH_ASSERT_OK(writer.Write(Stream::kStderr, "no newline", At(1)));
  }
  EXPECT_THAT(Read({}), ElementsAre("o:tab\there \"<&>\" caf\xc3\xa9", "e:no newline~"));
}

TEST_P(LogReaderTest, MalformedLinesAreSkippedAndCounted) {
  {
    LogWriter writer = OpenWriter();
    BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "one\n", At(0)));
  }
  std::ofstream(path_, std::ios::app) << "garbage\n\n{\"log\":\n";
  {
    LogWriter writer = OpenWriter();
    BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "two\n", At(1)));
  }
  std::ofstream(path_, std::ios::app) << "unterminated";
  LogReadStats stats;
  EXPECT_THAT(Read({}, &stats), ElementsAre("o:one", "o:two"));
  EXPECT_EQ(stats.malformed_lines, 3);
  LogReadStats tail_stats;
  EXPECT_THAT(Read({.tail = 5}, &tail_stats), ElementsAre("o:one", "o:two"));
  EXPECT_EQ(tail_stats.malformed_lines, 3);
}

TEST_P(LogReaderTest, EmitReturningFalseStops) {
  WriteRotatedLog();
  int calls = 0;
  BERTH_EXPECT_OK(
      ReadLogs(path_, GetParam(), {.follow = true}, [&](const LogEntry&) { return ++calls < 4; }));
  EXPECT_EQ(calls, 4);
}

// Runs ReadLogs with follow on a thread, collecting what it emits.
class Follower {
 public:
  Follower(const std::string& path, LogWriterOptions::Format format, LogReadOptions options)
      : thread_([this, path, format, options] {
          status_ = ReadLogs(
              path, format, options,
              [this](const LogEntry& e) {
                std::lock_guard<std::mutex> lock(mu_);
                seen_.push_back(e.line);
                return true;
              },
              [this] { return !stop_.load(); });
          done_ = true;
        }) {}
  ~Follower() { (void)Stop(); }

  // Waits (generously) until `count` entries have been emitted; returns them.
  std::vector<std::string> WaitFor(size_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (seen_.size() >= count) return seen_;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  bool WaitDone() {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!done_ && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
    return done_;
  }
  absl::Status Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> seen_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  absl::Status status_;
  std::thread thread_;
};

TEST_P(LogReaderTest, FollowSeesAppendedLinesAndLinesAfterRotation) {
  const int64_t max_size = GetParam() == LogWriterOptions::kCri ? 100 : 200;
  LogWriter writer = OpenWriter(max_size, /*max_files=*/2);
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "old1\nold2\n", absl::Now()));
  Follower follower(path_, GetParam(), {.tail = 1, .follow = true});
  EXPECT_THAT(follower.WaitFor(1), ElementsAre("old2"));
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "new1\n", absl::Now()));
  EXPECT_THAT(follower.WaitFor(2), ElementsAre("old2", "new1"));
  // Enough to rotate at least once (while the follower sleeps or not).
  BERTH_ASSERT_OK(writer.Write(Stream::kStderr, "new2\nnew3\n", absl::Now()));
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "new4\n", absl::Now()));
  ASSERT_TRUE(std::filesystem::exists(path_ + ".1"));
  EXPECT_THAT(follower.WaitFor(5), ElementsAre("old2", "new1", "new2", "new3", "new4"));
  BERTH_EXPECT_OK(follower.Stop());
}

TEST_P(LogReaderTest, FollowWaitsForTheLogToAppear) {
  Follower follower(path_, GetParam(), {.follow = true});
  LogWriter writer = OpenWriter();
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "first\n", absl::Now()));
  EXPECT_THAT(follower.WaitFor(1), ElementsAre("first"));
}

TEST_P(LogReaderTest, FollowStopsWhenToldAndWhenUntilPasses) {
  {
    LogWriter writer = OpenWriter();
    BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "x\n", absl::Now()));
  }
  Follower told(path_, GetParam(), {.follow = true});
  EXPECT_THAT(told.WaitFor(1), ElementsAre("x"));
  BERTH_EXPECT_OK(told.Stop());  // joins: returns only once ReadLogs has

  Follower until(path_, GetParam(),
                 {.until = absl::Now() + absl::Milliseconds(300), .follow = true});
  EXPECT_TRUE(until.WaitDone());
}

INSTANTIATE_TEST_SUITE_P(Formats, LogReaderTest,
                         ::testing::Values(LogWriterOptions::kJsonFile, LogWriterOptions::kCri),
                         [](const ::testing::TestParamInfo<LogWriterOptions::Format>& info) {
                           return info.param == LogWriterOptions::kCri ? "Cri" : "JsonFile";
                         });

}  // namespace
}  // namespace berth::logfile
