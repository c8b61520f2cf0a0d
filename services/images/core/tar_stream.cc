#include "services/images/core/tar_stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace berth::images {
namespace {

constexpr size_t kReadBlock = 128 * 1024;

std::string ArchiveMessage(archive* a) {
  const char* msg = archive_error_string(a);
  return msg != nullptr ? msg : "unknown libarchive error";
}

}  // namespace

absl::StatusOr<std::unique_ptr<TarReader>> TarReader::Open(int fd) {
  std::unique_ptr<TarReader> r(new TarReader());
  r->outer_ = archive_read_new();
  r->inner_ = archive_read_new();
  if (r->outer_ == nullptr || r->inner_ == nullptr) {
    return absl::ResourceExhaustedError("allocating a libarchive reader");
  }
  // ARCHIVE_WARN only means a filter runs as an external program; that still works.
  if (archive_read_support_filter_all(r->outer_) == ARCHIVE_FATAL ||
      archive_read_support_format_raw(r->outer_) != ARCHIVE_OK ||
      archive_read_support_format_tar(r->inner_) != ARCHIVE_OK) {
    return absl::InternalError(absl::StrCat("configuring libarchive: ", ArchiveMessage(r->outer_)));
  }
  if (archive_read_open_fd(r->outer_, fd, kReadBlock) != ARCHIVE_OK) {
    return absl::InvalidArgumentError(absl::StrCat("reading layer: ", ArchiveMessage(r->outer_)));
  }
  archive_entry* raw = nullptr;
  int rc = archive_read_next_header(r->outer_, &raw);
  if (rc == ARCHIVE_EOF) return absl::InvalidArgumentError("reading layer: the stream is empty");
  if (rc < ARCHIVE_WARN) {
    return absl::InvalidArgumentError(absl::StrCat("reading layer: ", ArchiveMessage(r->outer_)));
  }
  if (archive_read_open(r->inner_, r.get(), nullptr, &TarReader::Read, nullptr) != ARCHIVE_OK) {
    return r->Error("reading layer as tar");
  }
  return r;
}

TarReader::~TarReader() {
  if (inner_ != nullptr) archive_read_free(inner_);
  if (outer_ != nullptr) archive_read_free(outer_);
}

ssize_t TarReader::Read(archive* a, void* self, const void** buf) {
  auto* r = static_cast<TarReader*>(self);
  if (r->outer_eof_) return 0;
  size_t size = 0;
  la_int64_t offset = 0;
  int rc = archive_read_data_block(r->outer_, buf, &size, &offset);
  if (rc == ARCHIVE_EOF) {
    r->outer_eof_ = true;
    return 0;
  }
  if (rc < ARCHIVE_WARN) {
    r->outer_error_ = ArchiveMessage(r->outer_);
    archive_set_error(a, EIO, "decompressing: %s", r->outer_error_.c_str());
    return -1;
  }
  r->hasher_.Update(*buf, size);
  return static_cast<ssize_t>(size);
}

absl::Status TarReader::Error(absl::string_view what) const {
  std::string msg = !outer_error_.empty() ? absl::StrCat("decompressing: ", outer_error_)
                                          : ArchiveMessage(inner_);
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", msg));
}

absl::StatusOr<archive_entry*> TarReader::Next() {
  archive_entry* entry = nullptr;
  int rc = archive_read_next_header(inner_, &entry);
  if (rc == ARCHIVE_EOF) return nullptr;
  if (rc < ARCHIVE_WARN) return Error("reading layer");
  return entry;
}

absl::StatusOr<TarDigest> TarReader::Finish() {
  const void* buf = nullptr;
  while (!outer_eof_) {
    if (Read(inner_, this, &buf) < 0) return Error("reading layer padding");
  }
  TarDigest d;
  d.size = static_cast<int64_t>(hasher_.bytes());
  d.digest = hasher_.Finish();
  return d;
}

absl::StatusOr<std::unique_ptr<TarWriter>> TarWriter::Open(int fd, bool gzip) {
  std::unique_ptr<TarWriter> w(new TarWriter());
  w->fd_ = fd;
  w->inner_ = archive_write_new();
  if (w->inner_ == nullptr) return absl::ResourceExhaustedError("allocating a libarchive writer");
  if (gzip) {
    w->outer_ = archive_write_new();
    if (w->outer_ == nullptr) {
      return absl::ResourceExhaustedError("allocating a libarchive writer");
    }
    // "raw" carries the tar bytes as one unnamed stream through the gzip filter.
    if (archive_write_add_filter_gzip(w->outer_) != ARCHIVE_OK ||
        archive_write_set_format_raw(w->outer_) != ARCHIVE_OK ||
        archive_write_open_fd(w->outer_, fd) != ARCHIVE_OK) {
      return absl::InternalError(
          absl::StrCat("opening the gzip writer: ", ArchiveMessage(w->outer_)));
    }
    archive_entry* raw = archive_entry_new();
    archive_entry_set_filetype(raw, AE_IFREG);
    archive_entry_set_pathname(raw, "layer.tar");
    int rc = archive_write_header(w->outer_, raw);
    archive_entry_free(raw);
    if (rc != ARCHIVE_OK) {
      return absl::InternalError(
          absl::StrCat("opening the gzip writer: ", ArchiveMessage(w->outer_)));
    }
  }
  // No trailing block padding: the stream ends right after the two zero blocks.
  if (archive_write_set_format_pax(w->inner_) != ARCHIVE_OK ||
      archive_write_set_option(w->inner_, "pax", "xattrheader", "SCHILY") < ARCHIVE_WARN ||
      archive_write_set_bytes_in_last_block(w->inner_, 1) != ARCHIVE_OK ||
      archive_write_open(w->inner_, w.get(), nullptr, &TarWriter::Write, nullptr) != ARCHIVE_OK) {
    return w->Error("opening the tar writer");
  }
  return w;
}

TarWriter::~TarWriter() {
  if (inner_ != nullptr) archive_write_free(inner_);
  if (outer_ != nullptr) archive_write_free(outer_);
}

ssize_t TarWriter::Write(archive* a, void* self, const void* buf, size_t size) {
  auto* w = static_cast<TarWriter*>(self);
  w->hasher_.Update(buf, size);
  if (w->outer_ != nullptr) {
    la_ssize_t n = archive_write_data(w->outer_, buf, size);
    if (n < 0) {
      w->sink_errno_ = archive_errno(w->outer_);
      w->sink_error_ = absl::StrCat("compressing: ", ArchiveMessage(w->outer_));
      archive_set_error(a, EIO, "%s", w->sink_error_.c_str());
      return -1;
    }
    return static_cast<ssize_t>(size);
  }
  const char* p = static_cast<const char*>(buf);
  size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(w->fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      w->sink_errno_ = err;
      w->sink_error_ = absl::StrCat("writing: ", strerror(err));
      archive_set_error(a, err, "%s", w->sink_error_.c_str());
      return -1;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(size);
}

absl::Status TarWriter::Error(absl::string_view what) const {
  std::string msg = !sink_error_.empty() ? sink_error_ : ArchiveMessage(inner_);
  if (sink_errno_ == ENOSPC) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": no space left on device"));
  }
  return absl::InternalError(absl::StrCat(what, ": ", msg));
}

absl::Status TarWriter::WriteHeader(archive_entry* entry) {
  if (archive_write_header(inner_, entry) < ARCHIVE_WARN) {
    return Error(absl::StrCat("writing tar header for \"", archive_entry_pathname(entry), "\""));
  }
  return absl::OkStatus();
}

absl::Status TarWriter::WriteData(const void* data, size_t size) {
  if (archive_write_data(inner_, data, size) < 0) return Error("writing tar data");
  return absl::OkStatus();
}

absl::StatusOr<TarDigest> TarWriter::Finish() {
  if (finished_) return absl::FailedPreconditionError("tar writer already finished");
  finished_ = true;
  if (archive_write_close(inner_) != ARCHIVE_OK) return Error("finishing the tar");
  if (outer_ != nullptr && archive_write_close(outer_) != ARCHIVE_OK) {
    return absl::InternalError(absl::StrCat("finishing the gzip stream: ", ArchiveMessage(outer_)));
  }
  TarDigest d;
  d.size = static_cast<int64_t>(hasher_.bytes());
  d.digest = hasher_.Finish();
  return d;
}

}  // namespace berth::images
