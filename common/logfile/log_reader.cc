// ReadLogs and the json-file / CRI line parsers; see log_reader.h.
#include "common/logfile/log_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "nlohmann/json.hpp"

namespace berth::logfile {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

std::optional<Stream> ParseStream(absl::string_view name) {
  if (name == "stdout") return Stream::kStdout;
  if (name == "stderr") return Stream::kStderr;
  return std::nullopt;
}

std::optional<absl::Time> ParseTimestamp(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return std::nullopt;
  return time;
}

std::optional<LogEntry> ParseJsonFileLine(absl::string_view line) {
  try {
    const nlohmann::json json = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                                      /*allow_exceptions=*/false);
    if (!json.is_object()) return std::nullopt;
    const auto log = json.find("log");  // absent when empty (Go's omitempty)
    const auto stream = json.find("stream");
    const auto time = json.find("time");
    if ((log != json.end() && !log->is_string()) || stream == json.end() || !stream->is_string() ||
        time == json.end() || !time->is_string()) {
      return std::nullopt;
    }
    LogEntry entry;
    std::optional<Stream> parsed_stream = ParseStream(stream->get_ref<const std::string&>());
    std::optional<absl::Time> parsed_time = ParseTimestamp(time->get_ref<const std::string&>());
    if (!parsed_stream || !parsed_time) return std::nullopt;
    entry.stream = *parsed_stream;
    entry.time = *parsed_time;
    if (log != json.end()) entry.line = log->get<std::string>();
    entry.partial = entry.line.empty() || entry.line.back() != '\n';
    if (!entry.partial) entry.line.pop_back();
    return entry;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// "<time> <stream> <tag>[:more tags] <content>"; tag F is a full line, P a partial one.
std::optional<LogEntry> ParseCriLine(absl::string_view line) {
  const size_t time_end = line.find(' ');
  if (time_end == absl::string_view::npos) return std::nullopt;
  const size_t stream_end = line.find(' ', time_end + 1);
  if (stream_end == absl::string_view::npos) return std::nullopt;
  size_t tag_end = line.find(' ', stream_end + 1);
  if (tag_end == absl::string_view::npos) tag_end = line.size();  // empty content, no space
  std::optional<absl::Time> time = ParseTimestamp(line.substr(0, time_end));
  std::optional<Stream> stream = ParseStream(line.substr(time_end + 1, stream_end - time_end - 1));
  const absl::string_view tags = line.substr(stream_end + 1, tag_end - stream_end - 1);
  const absl::string_view tag = tags.substr(0, tags.find(':'));
  if (!time || !stream || (tag != "F" && tag != "P")) return std::nullopt;
  LogEntry entry;
  entry.stream = *stream;
  entry.time = *time;
  entry.partial = tag == "P";
  if (tag_end < line.size()) entry.line = std::string(line.substr(tag_end + 1));
  return entry;
}

absl::Status ReadError(const std::string& path) {
  return absl::ErrnoToStatus(errno, absl::StrCat("reading log file ", path));
}

// One open log file and how far into it whole lines have been consumed.
struct LogFile {
  std::string path;
  UniqueFd fd;
  int64_t offset = 0;
};

// Calls `handle` on each whole line from file->offset on, advancing the offset past each;
// an unterminated last line is left for later. Returns false when `handle` stopped.
absl::StatusOr<bool> ReadLinesForward(LogFile* file,
                                      absl::FunctionRef<bool(absl::string_view)> handle) {
  std::string buffer;  // bytes from file->offset on
  for (;;) {
    const size_t old_size = buffer.size();
    buffer.resize(old_size + kReadChunk);
    const ssize_t n = ::pread(file->fd.get(), buffer.data() + old_size, kReadChunk,
                              file->offset + static_cast<int64_t>(old_size));
    if (n < 0) {
      if (errno == EINTR) {
        buffer.resize(old_size);
        continue;
      }
      return ReadError(file->path);
    }
    buffer.resize(old_size + static_cast<size_t>(n));
    if (n == 0) return true;
    size_t start = 0;
    for (size_t newline; (newline = buffer.find('\n', start)) != std::string::npos;) {
      const absl::string_view line(buffer.data() + start, newline - start);
      start = newline + 1;
      if (!handle(line)) {
        file->offset += static_cast<int64_t>(start);
        return false;
      }
    }
    buffer.erase(0, start);
    file->offset += static_cast<int64_t>(start);
  }
}

// Calls `handle` on the whole lines of [0, end) last to first, until it returns false.
// Returns the offset just past the last whole line (where a follower continues).
absl::StatusOr<int64_t> ReadLinesBackward(const LogFile& file, int64_t end,
                                          absl::FunctionRef<bool(absl::string_view)> handle) {
  std::string data;  // bytes [pos, pos + data.size()) not yet handed out
  int64_t pos = end;
  std::optional<int64_t> whole_lines_end;
  for (;;) {
    if (!whole_lines_end) {  // drop an unterminated last line, once its start is known
      const size_t last_newline = data.rfind('\n');
      if (last_newline != std::string::npos) {
        data.resize(last_newline + 1);
        whole_lines_end = pos + static_cast<int64_t>(data.size());
      } else if (pos == 0) {
        return int64_t{0};
      }
    }
    while (whole_lines_end && !data.empty()) {  // data ends with '\n' here
      const size_t previous =
          data.size() >= 2 ? data.rfind('\n', data.size() - 2) : std::string::npos;
      if (previous == std::string::npos && pos > 0) break;  // its start is in an earlier chunk
      const size_t line_start = previous == std::string::npos ? 0 : previous + 1;
      if (!handle(absl::string_view(data).substr(line_start, data.size() - 1 - line_start))) {
        return *whole_lines_end;
      }
      data.resize(line_start);
    }
    if (pos == 0) return whole_lines_end.value_or(0);
    const int64_t chunk_start = std::max<int64_t>(0, pos - static_cast<int64_t>(kReadChunk));
    std::string chunk(static_cast<size_t>(pos - chunk_start), '\0');
    size_t got = 0;
    while (got < chunk.size()) {
      const ssize_t n = ::pread(file.fd.get(), chunk.data() + got, chunk.size() - got,
                                chunk_start + static_cast<int64_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ReadError(file.path);
      if (n == 0)
        return absl::DataLossError(absl::StrCat("log file ", file.path, " shrank while read"));
      got += static_cast<size_t>(n);
    }
    data.insert(0, chunk);
    pos = chunk_start;
  }
}

absl::StatusOr<LogFile> OpenLogFile(const std::string& path) {
  LogFile file{path, UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), 0};
  if (!file.fd && errno != ENOENT) {
    return absl::ErrnoToStatus(errno, absl::StrCat("opening log file ", path));
  }
  return file;
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// One ReadLogs call: the filters, the callback and what it has seen.
class LogReadSession {
 public:
  LogReadSession(LogWriterOptions::Format format, const LogReadOptions& options,
                 absl::FunctionRef<bool(const LogEntry&)> emit, LogReadStats* stats)
      : format_(format), options_(options), emit_(emit), stats_(stats) {}

  // Parses and filters one line; nullopt when malformed or filtered out.
  std::optional<LogEntry> Select(absl::string_view line) {
    std::optional<LogEntry> entry = ParseLogLine(line, format_);
    if (!entry) {
      if (stats_ != nullptr) ++stats_->malformed_lines;
      return std::nullopt;
    }
    if ((entry->stream == Stream::kStdout && !options_.stdout_) ||
        (entry->stream == Stream::kStderr && !options_.stderr_) || entry->time < options_.since ||
        entry->time > options_.until) {
      return std::nullopt;
    }
    return entry;
  }

  // Emits every selected line from file->offset on; false when emit asked to stop.
  absl::StatusOr<bool> EmitForward(LogFile* file) {
    if (!file->fd) return true;
    return ReadLinesForward(file, [&](absl::string_view line) {
      std::optional<LogEntry> entry = Select(line);
      return !entry || emit_(*entry);
    });
  }

  // Emits the last `count` selected entries of `files` (newest file first) in order, and
  // leaves files[0] positioned after its last whole line. False when emit asked to stop.
  absl::StatusOr<bool> EmitTail(std::vector<LogFile>& files, int64_t count) {
    std::vector<LogEntry> newest_first;
    for (size_t i = 0; i < files.size(); ++i) {
      LogFile& file = files[i];
      if (!file.fd) continue;
      if (i > 0 && static_cast<int64_t>(newest_first.size()) >= count) break;
      struct stat st;
      if (::fstat(file.fd.get(), &st) != 0) return ReadError(file.path);
      BERTH_ASSIGN_OR_RETURN(const int64_t whole_end,
                             ReadLinesBackward(file, st.st_size, [&](absl::string_view line) {
                               if (static_cast<int64_t>(newest_first.size()) >= count) return false;
                               if (std::optional<LogEntry> entry = Select(line))
                                 newest_first.push_back(*std::move(entry));
                               return static_cast<int64_t>(newest_first.size()) < count;
                             }));
      if (i == 0) file.offset = whole_end;
    }
    for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
      if (!emit_(*it)) return false;
    }
    return true;
  }

 private:
  const LogWriterOptions::Format format_;
  const LogReadOptions& options_;
  absl::FunctionRef<bool(const LogEntry&)> emit_;
  LogReadStats* const stats_;
};

// Follows `current` (the live file at `path`) until told to stop: new whole lines, a
// rotation (drain the old file, then read the new one from its start), or a truncation.
absl::Status Follow(const std::string& path, const LogReadOptions& options, LogFile current,
                    LogReadSession& session, const std::function<bool()>& keep_following) {
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(const bool go_on, session.EmitForward(&current));
    if (!go_on || absl::Now() > options.until) return absl::OkStatus();
    if (keep_following && !keep_following()) return absl::OkStatus();
    absl::SleepFor(kLogFollowPollInterval);

    struct stat at_path;
    if (::stat(path.c_str(), &at_path) != 0) continue;  // mid-rotation: not created yet
    struct stat open_file;
    if (current.fd && ::fstat(current.fd.get(), &open_file) != 0) return ReadError(path);
    if (!current.fd || !SameFile(at_path, open_file)) {
      if (current.fd) {  // rotated: what was written before the rename is still in there
        BERTH_ASSIGN_OR_RETURN(const bool drained, session.EmitForward(&current));
        if (!drained) return absl::OkStatus();
      }
      BERTH_ASSIGN_OR_RETURN(current, OpenLogFile(path));
    } else if (open_file.st_size < current.offset) {
      current.offset = 0;  // truncated in place (max_files 1)
    }
  }
}

}  // namespace

std::optional<LogEntry> ParseLogLine(absl::string_view line, LogWriterOptions::Format format) {
  return format == LogWriterOptions::kCri ? ParseCriLine(line) : ParseJsonFileLine(line);
}

std::string FormatLogTimestamp(absl::Time time) {
  std::string out;
  AppendRfc3339NanoFixed(time, &out);
  return out;
}

absl::Status ReadLogs(const std::string& path, LogWriterOptions::Format format,
                      const LogReadOptions& options, absl::FunctionRef<bool(const LogEntry&)> emit,
                      std::function<bool()> keep_following, LogReadStats* stats) {
  // files[0] is the live file, then path.1, path.2, … (newest first). The live one is opened
  // first so that a rotation meanwhile shows up as a file seen twice, which is skipped.
  std::vector<LogFile> files;
  BERTH_ASSIGN_OR_RETURN(LogFile live, OpenLogFile(path));
  files.push_back(std::move(live));
  std::vector<struct stat> seen;
  if (files[0].fd) {
    struct stat st;
    if (::fstat(files[0].fd.get(), &st) != 0) return ReadError(path);
    seen.push_back(st);
  }
  for (int n = 1;; ++n) {
    BERTH_ASSIGN_OR_RETURN(LogFile rotated, OpenLogFile(absl::StrCat(path, ".", n)));
    if (!rotated.fd) break;
    struct stat st;
    if (::fstat(rotated.fd.get(), &st) != 0) return ReadError(rotated.path);
    if (std::any_of(seen.begin(), seen.end(),
                    [&](const struct stat& s) { return SameFile(s, st); })) {
      continue;
    }
    seen.push_back(st);
    files.push_back(std::move(rotated));
  }

  LogReadSession session(format, options, emit, stats);
  bool go_on = true;
  if (options.tail && *options.tail >= 0) {
    BERTH_ASSIGN_OR_RETURN(go_on, session.EmitTail(files, *options.tail));
  } else {
    for (auto it = files.rbegin(); go_on && it != files.rend(); ++it) {
      BERTH_ASSIGN_OR_RETURN(go_on, session.EmitForward(&*it));
    }
  }
  if (!go_on || !options.follow) return absl::OkStatus();
  return Follow(path, options, std::move(files[0]), session, keep_following);
}

}  // namespace berth::logfile
