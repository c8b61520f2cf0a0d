#include "common/logfile/log_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/status_matchers.h"

namespace berth::logfile {
namespace {

using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// 2026-12-06T23:05:50.123456789Z
const absl::Time kTime = absl::FromUnixSeconds(1796598350) + absl::Nanoseconds(123456789);

std::string Json(absl::string_view bytes) {
  std::string out;
  AppendDockerJsonString(bytes, &out);
  return out;
}

std::string Timestamp(absl::Time t) {
  std::string out;
  AppendRfc3339Nano(t, &out);
  return out;
}

TEST(LogLineTest, TimestampIsRfc3339NanoWithTrailingZerosTrimmed) {
  EXPECT_EQ(Timestamp(kTime), "2026-12-06T23:05:50.123456789Z");
  const absl::Time whole = absl::FromUnixSeconds(1796598350);
  EXPECT_EQ(Timestamp(whole), "2026-12-06T23:05:50Z");
  EXPECT_EQ(Timestamp(whole + absl::Milliseconds(120)), "2026-12-06T23:05:50.12Z");
  EXPECT_EQ(Timestamp(whole + absl::Nanoseconds(1)), "2026-12-06T23:05:50.000000001Z");
  EXPECT_EQ(Timestamp(absl::UnixEpoch() - absl::Nanoseconds(1)), "1969-12-31T23:59:59.999999999Z");
}

TEST(LogLineTest, JsonEscapingMatchesDockersEncoder) {
  EXPECT_EQ(Json("plain text"), R"("plain text")");
  EXPECT_EQ(Json("a\"b"), R"("a\"b")");
  EXPECT_EQ(Json("a\\b"), R"("a\\b")");
  EXPECT_EQ(Json("a\nb\rc"), R"("a\nb\rc")");
  // Docker's encoder has no short form for tab: it is \u0009, unlike encoding/json's \t.
  EXPECT_EQ(Json("a\tb"), R"("a\u0009b")");
  EXPECT_EQ(Json(absl::string_view("\x01\x1f\x00", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(Json("<a href=x>&</a>"), R"("\u003ca href=x\u003e\u0026\u003c/a\u003e")");
  EXPECT_EQ(Json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3\"");  // kept as is
  EXPECT_EQ(Json("a\xffz"), R"("a\ufffdz")");
  EXPECT_EQ(Json("\xe2\x82"), R"("\ufffd\ufffd")");            // truncated sequence
  EXPECT_EQ(Json("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(Json("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // UTF-16 surrogate
  EXPECT_EQ(Json("x\xe2\x80\xa8y\xe2\x80\xa9"), R"("x\u2028y\u2029")");
  EXPECT_EQ(Json("\x7f"), "\"\x7f\"");  // DEL is not escaped
}

TEST(LogLineTest, JsonFileLineIsDockersExactBytes) {
  std::string out;
  AppendJsonFileLine(Stream::kStdout, "hi", /*complete=*/true, kTime, &out);
  EXPECT_EQ(out,
            "{\"log\":\"hi\\n\",\"stream\":\"stdout\","
            "\"time\":\"2026-12-06T23:05:50.123456789Z\"}\n");
  out.clear();
  AppendJsonFileLine(Stream::kStderr, "part", /*complete=*/false, kTime, &out);
  EXPECT_EQ(out,
            "{\"log\":\"part\",\"stream\":\"stderr\","
            "\"time\":\"2026-12-06T23:05:50.123456789Z\"}\n");
}

TEST(LogLineTest, CriLine) {
  std::string out;
  AppendCriLine(Stream::kStdout, "log content", /*complete=*/true, kTime, &out);
  AppendCriLine(Stream::kStderr, "half", /*complete=*/false, kTime, &out);
  EXPECT_EQ(out,
            "2026-12-06T23:05:50.123456789Z stdout F log content\n"
            "2026-12-06T23:05:50.123456789Z stderr P half\n");
}

class LogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-logfile-writer-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/c-json.log";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  LogWriter OpenOrDie(LogWriterOptions::Format format, int64_t max_size = 0, int max_files = 1) {
    absl::StatusOr<LogWriter> writer = LogWriter::Open(
        {.path = path_, .format = format, .max_size_bytes = max_size, .max_files = max_files});
    EXPECT_THAT(writer, ::berth::testing::IsOk());
    return *std::move(writer);
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static std::vector<std::string> Lines(const std::string& path) {
    return absl::StrSplit(Read(path), '\n', absl::SkipEmpty());
  }
  static std::string JsonLine(absl::string_view log, absl::string_view stream, absl::Time t) {
    return absl::StrCat("{\"log\":\"", log, "\",\"stream\":\"", stream, "\",\"time\":\"",
                        Timestamp(t), "\"}");
  }

  std::string dir_;
  std::string path_;
};

TEST_F(LogWriterTest, EachCompleteLineIsOneEntry) {
  LogWriter writer = OpenOrDie(LogWriterOptions::kJsonFile);
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "one\ntwo\n\n", kTime));
  BERTH_ASSERT_OK(writer.Write(Stream::kStderr, "oops \"x\"\n", kTime));
  EXPECT_THAT(Lines(path_),
              ElementsAre(JsonLine("one\\n", "stdout", kTime), JsonLine("two\\n", "stdout", kTime),
                          JsonLine("\\n", "stdout", kTime),
                          JsonLine("oops \\\"x\\\"\\n", "stderr", kTime)));
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640);
}

TEST_F(LogWriterTest, PartialLineWaitsForItsNewlinePerStream) {
  LogWriter writer = OpenOrDie(LogWriterOptions::kJsonFile);
  const absl::Time later = kTime + absl::Seconds(1);
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "hel", kTime));
  BERTH_ASSERT_OK(writer.Write(Stream::kStderr, "err", kTime));
  EXPECT_EQ(Read(path_), "");
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "lo\nnext", later));
  // The entry carries the time its first byte arrived.
  EXPECT_THAT(Lines(path_), ElementsAre(JsonLine("hello\\n", "stdout", kTime)));
  BERTH_ASSERT_OK(writer.Flush());
  EXPECT_THAT(Lines(path_),
              ElementsAre(JsonLine("hello\\n", "stdout", kTime), JsonLine("next", "stdout", later),
                          JsonLine("err", "stderr", kTime)));
  BERTH_ASSERT_OK(writer.Flush());  // nothing left to flush
  EXPECT_THAT(Lines(path_), SizeIs(3));
}

TEST_F(LogWriterTest, CloseFlushesAndLaterWritesFail) {
  LogWriter writer = OpenOrDie(LogWriterOptions::kCri);
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "no newline", kTime));
  BERTH_ASSERT_OK(writer.Close());
  EXPECT_EQ(Read(path_), "2026-12-06T23:05:50.123456789Z stdout P no newline\n");
  EXPECT_THAT(writer.Write(Stream::kStdout, "x\n", kTime),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(path_)));
}

TEST_F(LogWriterTest, DestructorFlushesPartialLines) {
  {
    LogWriter writer = OpenOrDie(LogWriterOptions::kCri);
    BERTH_ASSERT_OK(writer.Write(Stream::kStderr, "tail", kTime));
  }
  EXPECT_EQ(Read(path_), "2026-12-06T23:05:50.123456789Z stderr P tail\n");
}

TEST_F(LogWriterTest, LinesLongerThan16KiBAreSplitIntoPartialEntries) {
  LogWriter writer = OpenOrDie(LogWriterOptions::kCri);
  const std::string exact(LogWriter::kMaxEntryBytes, 'a');
  const std::string longer(LogWriter::kMaxEntryBytes + 10, 'b');
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, exact + "\n", kTime));
  // Arriving in pieces: the 16 KiB chunk goes out once the line outgrows it.
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, longer.substr(0, 9000), kTime));
  EXPECT_THAT(Lines(path_), SizeIs(1));
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, longer.substr(9000) + "\n", kTime));
  const std::string ts = "2026-12-06T23:05:50.123456789Z";
  EXPECT_THAT(Lines(path_), ElementsAre(absl::StrCat(ts, " stdout F ", exact),
                                        absl::StrCat(ts, " stdout P ", std::string(16384, 'b')),
                                        absl::StrCat(ts, " stdout F ", std::string(10, 'b'))));
}

TEST_F(LogWriterTest, SplitJsonFileEntryHasNoNewlineAndKeepsUtf8Whole) {
  LogWriter writer = OpenOrDie(LogWriterOptions::kJsonFile);
  // A 3-byte euro sign straddles the 16 KiB boundary: it moves whole into the next entry.
  std::string line(LogWriter::kMaxEntryBytes - 1, 'x');
  line += "\xe2\x82\xac!";
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, line + "\n", kTime));
  EXPECT_THAT(Lines(path_), ElementsAre(JsonLine(std::string(16383, 'x'), "stdout", kTime),
                                        JsonLine("\xe2\x82\xac!\\n", "stdout", kTime)));
}

TEST_F(LogWriterTest, ReopenAppends) {
  {
    LogWriter writer = OpenOrDie(LogWriterOptions::kCri);
    BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "before\n", kTime));
  }
  LogWriter writer = OpenOrDie(LogWriterOptions::kCri);
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "after\n", kTime));
  EXPECT_EQ(Read(path_),
            "2026-12-06T23:05:50.123456789Z stdout F before\n"
            "2026-12-06T23:05:50.123456789Z stdout F after\n");
}

TEST_F(LogWriterTest, RotationKeepsMaxFilesAndNeverSplitsAnEntry) {
  // Each CRI entry "<ts> stdout F lineNN\n" is 47 bytes; two fit in 100, a third does not.
  LogWriter writer = OpenOrDie(LogWriterOptions::kCri, /*max_size=*/100, /*max_files=*/3);
  for (int i = 0; i < 9; ++i) {
    BERTH_ASSERT_OK(writer.Write(Stream::kStdout, absl::StrCat("line", 10 + i, "\n"), kTime));
  }
  const auto entry = [](int n) {
    return absl::StrCat("2026-12-06T23:05:50.123456789Z stdout F line", n);
  };
  ASSERT_EQ(entry(10).size() + 1, 47u);
  EXPECT_THAT(Lines(path_), ElementsAre(entry(18)));
  EXPECT_THAT(Lines(path_ + ".1"), ElementsAre(entry(16), entry(17)));
  EXPECT_THAT(Lines(path_ + ".2"), ElementsAre(entry(14), entry(15)));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".3"));
  for (const std::string& p : {path_, path_ + ".1", path_ + ".2"}) {
    EXPECT_LE(std::filesystem::file_size(p), 100u) << p;
  }
}

TEST_F(LogWriterTest, OneFileRotationTruncatesInPlace) {
  LogWriter writer = OpenOrDie(LogWriterOptions::kCri, /*max_size=*/100, /*max_files=*/1);
  for (int i = 0; i < 3; ++i) {
    BERTH_ASSERT_OK(writer.Write(Stream::kStdout, absl::StrCat("line", 10 + i, "\n"), kTime));
  }
  EXPECT_THAT(Lines(path_), ElementsAre(HasSubstr("line12")));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".1"));
}

TEST_F(LogWriterTest, EntryLargerThanMaxSizeStillGetsWritten) {
  LogWriter writer = OpenOrDie(LogWriterOptions::kCri, /*max_size=*/10, /*max_files=*/2);
  BERTH_ASSERT_OK(writer.Write(Stream::kStdout, "a long line\nanother long one\n", kTime));
  EXPECT_THAT(Lines(path_), ElementsAre(HasSubstr("another long one")));
  EXPECT_THAT(Lines(path_ + ".1"), ElementsAre(HasSubstr("a long line")));
}

TEST_F(LogWriterTest, ErrorsNameThePath) {
  EXPECT_THAT(LogWriter::Open({.path = dir_ + "/missing/x.log"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir_ + "/missing/x.log")));
  EXPECT_THAT(LogWriter::Open({.path = path_, .max_files = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(LogWriterTest, WriteErrorIsReportedAndWriterStaysUsable) {
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  absl::StatusOr<LogWriter> full = LogWriter::Open({.path = "/dev/full"});
  BERTH_ASSERT_OK(full);
  EXPECT_THAT(full->Write(Stream::kStdout, "a\nb\n", kTime),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("/dev/full")));
  EXPECT_THAT(full->Write(Stream::kStdout, "c\n", kTime),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace berth::logfile
