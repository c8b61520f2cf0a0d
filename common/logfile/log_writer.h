// The container log file as berth-shim writes it: Docker's json-file format or the CRI
// format, one entry per line, with size-based rotation. Small on purpose (no JSON
// library, no iostreams): every shim carries one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/logfile/log_line.h"
#include "common/unique_fd.h"

namespace berth::logfile {

struct LogWriterOptions {
  enum Format { kJsonFile, kCri };

  std::string path;
  Format format = kJsonFile;
  int64_t max_size_bytes = 0;  // 0: never rotate
  int max_files = 1;           // files kept including `path`; 1 truncates in place
};

class LogWriter {
 public:
  // Longest entry content; a longer line is split into partial entries, as Docker does.
  static constexpr size_t kMaxEntryBytes = 16 * 1024;

  // Opens (creating, mode 0640) or appends to `options.path`.
  static absl::StatusOr<LogWriter> Open(LogWriterOptions options);

  LogWriter(LogWriter&& other) noexcept = default;
  LogWriter& operator=(LogWriter&& other) noexcept;
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  ~LogWriter();  // flushes buffered partial lines, best effort

  // Records `bytes` read from the container's `stream` at `now`. Each complete line is one
  // entry; a trailing partial line waits for its newline (or for Flush) unless it grows past
  // kMaxEntryBytes. An entry that cannot be written is dropped and its error returned; the
  // writer keeps going with the next one.
  absl::Status Write(Stream stream, absl::string_view bytes, absl::Time now);

  // Writes out buffered partial lines as partial entries.
  absl::Status Flush();

  // Flush, then close the file. Further writes fail.
  absl::Status Close();

  const std::string& path() const { return options_.path; }

 private:
  // Bytes of a line whose newline has not arrived, and when its first byte did.
  struct PendingLine {
    std::string bytes;
    absl::Time first_byte_time;
  };

  LogWriter(LogWriterOptions options, UniqueFd fd, int64_t size);

  absl::Status WriteEntry(Stream stream, absl::string_view content, bool complete, absl::Time time);
  absl::Status Rotate();
  absl::Status AppendToFile(absl::string_view bytes);

  LogWriterOptions options_;
  UniqueFd fd_;
  int64_t size_ = 0;        // bytes in the current file
  std::string line_;        // reused buffer for one encoded entry
  PendingLine pending_[2];  // indexed by Stream
};

}  // namespace berth::logfile
