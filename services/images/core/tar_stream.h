// Tar streams over libarchive that hash the uncompressed tar bytes as they pass, because
// image configs name layers by that hash (the diff_id), not by the compressed blob's.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/images/core/digest.h"

struct archive;
struct archive_entry;

namespace berth::images {

struct TarDigest {
  Digest digest;     // sha256 of the uncompressed tar stream
  int64_t size = 0;  // its length in bytes
};

// Reads a tar that may be plain, gzip or zstd (detected from its first bytes). An outer
// libarchive reader (every filter, "raw" format) yields the decompressed bytes; a read
// callback hashes them and feeds an inner tar-only reader, so one pass gives both the
// entries and the hash of the whole decompressed stream.
class TarReader {
 public:
  // Does not take ownership of `fd`; it must stay open until the reader is destroyed.
  static absl::StatusOr<std::unique_ptr<TarReader>> Open(int fd);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // The next entry (owned by the reader, valid until the next call), or nullptr at the end.
  absl::StatusOr<archive_entry*> Next();
  // The inner tar reader, for archive_read_data_block() on the current entry.
  archive* tar() { return inner_; }
  // The reader's last error as a Status, preferring the decompressor's message.
  absl::Status Error(absl::string_view what) const;
  // Reads what follows the tar's end marker (padding) so the hash covers the whole
  // decompressed stream, as `zcat | sha256sum` would.
  absl::StatusOr<TarDigest> Finish();

 private:
  TarReader() = default;
  static ssize_t Read(archive* a, void* self, const void** buf);

  archive* outer_ = nullptr;
  archive* inner_ = nullptr;
  Sha256Hasher hasher_;
  std::string outer_error_;
  bool outer_eof_ = false;
};

// Writes a tar (PAX) to a fd, optionally gzip-compressed, hashing the uncompressed bytes.
class TarWriter {
 public:
  // Does not take ownership of `fd`.
  static absl::StatusOr<std::unique_ptr<TarWriter>> Open(int fd, bool gzip);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  absl::Status WriteHeader(archive_entry* entry);
  absl::Status WriteData(const void* data, size_t size);
  // Writes the end marker, flushes the compressor and returns the uncompressed hash.
  absl::StatusOr<TarDigest> Finish();

 private:
  TarWriter() = default;
  static ssize_t Write(archive* a, void* self, const void* buf, size_t size);
  absl::Status Error(absl::string_view what) const;

  int fd_ = -1;
  archive* outer_ = nullptr;  // gzip over "raw" format, or null when writing plain
  archive* inner_ = nullptr;
  Sha256Hasher hasher_;
  std::string sink_error_;
  int sink_errno_ = 0;
  bool finished_ = false;
};

}  // namespace berth::images
