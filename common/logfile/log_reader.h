// Reading a container's log files (as LogWriter writes them) for `logs`: rotated files
// oldest first, --tail, --since/--until, stream selection and --follow across rotations.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/logfile/log_line.h"
#include "common/logfile/log_writer.h"

namespace berth::logfile {

struct LogEntry {
  Stream stream = Stream::kStdout;
  absl::Time time;
  std::string line;      // without its newline
  bool partial = false;  // no newline ended it: the next entry continues the line
};

struct LogReadOptions {
  std::optional<int64_t> tail =
      std::nullopt;  // last N entries (after the filters below); negative: all
  absl::Time since = absl::InfinitePast();
  absl::Time until = absl::InfiniteFuture();
  bool stdout_ = true;
  bool stderr_ = true;
  bool follow = false;
};

struct LogReadStats {
  int64_t malformed_lines = 0;  // lines that parsed as no entry, skipped
};

// How often a follower looks for new entries, rotation and keep_following().
inline constexpr absl::Duration kLogFollowPollInterval = absl::Milliseconds(100);

// Calls `emit` for each entry of the log at `path` (and its rotated files path.1, path.2, …)
// that passes `options`, oldest first; `emit` returning false stops the read. With
// options.follow, keeps emitting entries as they are appended, following the file through
// rotation, until keep_following() returns false (polled every kLogFollowPollInterval;
// empty means forever) or options.until has passed. A missing log reads as empty.
//
// Follow polls instead of using inotify: one stat and one read per 100 ms per follower is
// cheap, and it needs no extra fd, watch limit, or handling of overflowed event queues.
// A file that rotates away twice within one poll interval loses the entries in between.
absl::Status ReadLogs(const std::string& path, LogWriterOptions::Format format,
                      const LogReadOptions& options, absl::FunctionRef<bool(const LogEntry&)> emit,
                      std::function<bool()> keep_following = nullptr,
                      LogReadStats* stats = nullptr);

// Parses one line of a log file (without its newline); nullopt when it is malformed.
std::optional<LogEntry> ParseLogLine(absl::string_view line, LogWriterOptions::Format format);

// The timestamp prefix `logs -t` prints (Docker's RFC3339NanoFixed, UTC).
std::string FormatLogTimestamp(absl::Time time);

}  // namespace berth::logfile
