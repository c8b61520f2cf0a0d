// LogWriter: line splitting, partial-line buffering, rotation; see log_writer.h.
#include "common/logfile/log_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace berth::logfile {
namespace {

UniqueFd OpenForAppend(const std::string& path) {
  return UniqueFd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
}

// Where to cut a full chunk so that no UTF-8 sequence is split between two entries
// (Docker cuts at the byte and leaves both halves as U+FFFD).
size_t Utf8SafeCut(absl::string_view chunk) {
  const size_t size = chunk.size();
  for (size_t back = 1; back <= 4 && back < size; ++back) {
    const unsigned char b = static_cast<unsigned char>(chunk[size - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    const size_t needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    return needed > back ? size - back : size;
  }
  return size;
}

std::string RotatedPath(const std::string& path, int n) { return absl::StrCat(path, ".", n); }

}  // namespace

absl::StatusOr<LogWriter> LogWriter::Open(LogWriterOptions options) {
  if (options.path.empty()) return absl::InvalidArgumentError("log file path is empty");
  if (options.max_size_bytes < 0 || options.max_files < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("log file ", options.path, ": max size must be >= 0 and max files >= 1"));
  }
  UniqueFd fd = OpenForAppend(options.path);
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("opening log file ", options.path));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("stat of log file ", options.path));
  }
  return LogWriter(std::move(options), std::move(fd), st.st_size);
}

LogWriter::LogWriter(LogWriterOptions options, UniqueFd fd, int64_t size)
    : options_(std::move(options)), fd_(std::move(fd)), size_(size) {}

LogWriter& LogWriter::operator=(LogWriter&& other) noexcept {
  if (this != &other) {
    (void)Close();
    options_ = std::move(other.options_);
    fd_ = std::move(other.fd_);
    size_ = other.size_;
    line_ = std::move(other.line_);
    pending_[0] = std::move(other.pending_[0]);
    pending_[1] = std::move(other.pending_[1]);
  }
  return *this;
}

LogWriter::~LogWriter() {
  if (fd_) (void)Flush();
}

absl::Status LogWriter::Write(Stream stream, absl::string_view bytes, absl::Time now) {
  PendingLine& pending = pending_[static_cast<int>(stream)];
  absl::Status first_error;
  const auto note = [&first_error](absl::Status s) { first_error.Update(std::move(s)); };
  while (!bytes.empty()) {
    if (pending.bytes.empty()) pending.first_byte_time = now;
    const size_t newline = bytes.find('\n');
    const absl::string_view piece = bytes.substr(0, newline);
    const size_t room = kMaxEntryBytes - pending.bytes.size();
    if (piece.size() <= room) {
      if (newline == absl::string_view::npos) {  // wait for the rest of the line
        pending.bytes.append(piece.data(), piece.size());
        break;
      }
      if (pending.bytes.empty()) {
        note(WriteEntry(stream, piece, /*complete=*/true, now));
      } else {
        pending.bytes.append(piece.data(), piece.size());
        note(WriteEntry(stream, pending.bytes, /*complete=*/true, pending.first_byte_time));
        pending.bytes.clear();
      }
      bytes.remove_prefix(newline + 1);
      continue;
    }
    // The line outgrows one entry: write a full chunk as a partial entry.
    pending.bytes.append(piece.data(), room);
    bytes.remove_prefix(room);
    const size_t cut = Utf8SafeCut(pending.bytes);
    note(WriteEntry(stream, absl::string_view(pending.bytes).substr(0, cut), /*complete=*/false,
                    pending.first_byte_time));
    pending.bytes.erase(0, cut);
    pending.first_byte_time = now;
  }
  return first_error;
}

absl::Status LogWriter::Flush() {
  absl::Status first_error;
  for (Stream stream : {Stream::kStdout, Stream::kStderr}) {
    PendingLine& pending = pending_[static_cast<int>(stream)];
    if (pending.bytes.empty()) continue;
    first_error.Update(
        WriteEntry(stream, pending.bytes, /*complete=*/false, pending.first_byte_time));
    pending.bytes.clear();
  }
  return first_error;
}

absl::Status LogWriter::Close() {
  if (!fd_) return absl::OkStatus();
  absl::Status status = Flush();
  fd_.Reset();
  return status;
}

absl::Status LogWriter::WriteEntry(Stream stream, absl::string_view content, bool complete,
                                   absl::Time time) {
  if (!fd_) return absl::FailedPreconditionError(absl::StrCat("log file ", path(), " is closed"));
  line_.clear();
  if (options_.format == LogWriterOptions::kCri) {
    AppendCriLine(stream, content, complete, time, &line_);
  } else {
    AppendJsonFileLine(stream, content, complete, time, &line_);
  }
  absl::Status rotated;
  if (options_.max_size_bytes > 0 && size_ > 0 &&
      size_ + static_cast<int64_t>(line_.size()) > options_.max_size_bytes) {
    rotated = Rotate();  // on failure keep logging to the current file, and say so
  }
  absl::Status written = AppendToFile(line_);
  written.Update(std::move(rotated));
  return written;
}

absl::Status LogWriter::Rotate() {
  const std::string& path = options_.path;
  if (options_.max_files == 1) {
    if (::ftruncate(fd_.get(), 0) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("truncating log file ", path));
    }
    size_ = 0;
    return absl::OkStatus();
  }
  const std::string oldest = RotatedPath(path, options_.max_files - 1);
  if (::unlink(oldest.c_str()) != 0 && errno != ENOENT) {
    return absl::ErrnoToStatus(errno, absl::StrCat("removing rotated log file ", oldest));
  }
  for (int n = options_.max_files - 2; n >= 0; --n) {
    const std::string from = n == 0 ? path : RotatedPath(path, n);
    const std::string to = RotatedPath(path, n + 1);
    // ENOENT: fewer files than max_files so far, or a previous rotation stopped half-way.
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      return absl::ErrnoToStatus(errno, absl::StrCat("rotating log file ", from, " to ", to));
    }
  }
  UniqueFd fresh = OpenForAppend(path);
  if (!fresh) return absl::ErrnoToStatus(errno, absl::StrCat("opening log file ", path));
  fd_ = std::move(fresh);
  size_ = 0;
  return absl::OkStatus();
}

absl::Status LogWriter::AppendToFile(absl::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_.get(), bytes.data() + done, bytes.size() - done);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    const int err = errno;
    // Take a torn entry back out so that readers never see half a line.
    if (done > 0 && ::ftruncate(fd_.get(), size_) == 0) done = 0;
    size_ += static_cast<int64_t>(done);
    return absl::ErrnoToStatus(err, absl::StrCat("writing log file ", path()));
  }
  size_ += static_cast<int64_t>(done);
  return absl::OkStatus();
}

}  // namespace berth::logfile
