// The content store: blobs addressed by digest, on the filesystem, with resumable writes.
//
// Layout under the root (e.g. <images-root>/content):
//   blobs/sha256/<hex>           committed blobs, 0444, only ever created by rename
//   ingest/<sha256(ref) hex>/    one in-flight write: ref, data, total, expected, startedat
// An ingest dir is named by the hash of its ref, so a ref may hold any bytes. A write is
// made whole by fsync + size and digest check + rename; a writer dropped without Commit
// (or a crash) leaves the ingest, and the next Writer() for the same ref resumes it.
// Blobs are not namespaced here: the metadata store says which namespaces hold which.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/unique_fd.h"
#include "services/images/core/digest.h"

namespace berth::images {

struct ContentInfo {
  Digest digest;
  int64_t size = 0;
  absl::Time created_at;
  absl::Time updated_at;
};

struct IngestStatus {
  std::string ref;
  int64_t offset = 0;  // bytes written so far
  int64_t total = -1;  // expected size, -1 when unknown
  Digest expected;     // empty when unknown
  absl::Time started_at;
  absl::Time updated_at;
};

struct ContentUsage {
  int64_t blob_count = 0;
  int64_t total_bytes = 0;
};

// One in-flight write, holding the ingest's lock until destroyed. Not thread-safe.
class ContentWriter {
 public:
  ContentWriter(const ContentWriter&) = delete;
  ContentWriter& operator=(const ContentWriter&) = delete;
  // Without Commit the ingest stays, ready for a later writer to resume.
  ~ContentWriter();

  const std::string& ref() const { return ref_; }
  // Where the next Write lands: the bytes already in the ingest when it was resumed.
  int64_t offset() const { return offset_; }
  absl::Status Write(absl::string_view bytes);
  // Cuts the data back to `size` (0 restarts) and re-hashes what stays.
  absl::Status Truncate(int64_t size);
  // The digest of the bytes written so far.
  Digest digest() const { return hasher_.Peek(); }

  // Verifies and publishes the blob. `size` -1 checks against the total given to
  // Writer() when there was one; `expected` null likewise falls back to that digest.
  // A digest mismatch (or more bytes than `size`) is FailedPrecondition and removes the
  // ingest; fewer bytes than `size` is FailedPrecondition and keeps it for resuming.
  // When the blob exists already the ingest is dropped and its digest returned.
  // The writer is finished afterwards, whatever the outcome.
  absl::StatusOr<Digest> Commit(int64_t size = -1, const Digest* expected = nullptr);

 private:
  friend class ContentStore;
  ContentWriter(class ContentStore* store, std::string ref, std::string dir_name, UniqueFd dir,
                UniqueFd data, int64_t total, Digest expected)
      : store_(store),
        ref_(std::move(ref)),
        dir_name_(std::move(dir_name)),
        dir_(std::move(dir)),
        data_(std::move(data)),
        total_(total),
        expected_(std::move(expected)) {}
  absl::Status Rehash(int64_t size);
  absl::Status CheckOpen() const;
  void Finish(bool remove_ingest);

  ContentStore* store_;
  std::string ref_;
  std::string dir_name_;
  UniqueFd dir_;  // the ingest dir, flock()ed
  UniqueFd data_;
  int64_t total_;
  Digest expected_;
  int64_t offset_ = 0;
  Sha256Hasher hasher_;
};

// Thread-safe: every operation goes to the filesystem; locks on ingests are flock()s, so
// they also hold between processes sharing a root.
class ContentStore {
 public:
  // Creates root, blobs/sha256 and ingest (0700) as needed.
  static absl::StatusOr<std::unique_ptr<ContentStore>> Open(std::string root);

  const std::string& root() const { return root_; }

  // Starts or resumes the write of `ref`. `expected_size` -1 is unknown; `expected` may
  // be null. AlreadyExists when `expected` names a committed blob; Unavailable while
  // another writer holds the ref. Resuming with a different expected digest, or with a
  // total smaller than the bytes already there, starts over from 0.
  absl::StatusOr<std::unique_ptr<ContentWriter>> Writer(absl::string_view ref,
                                                        int64_t expected_size = -1,
                                                        const Digest* expected = nullptr);

  absl::StatusOr<ContentInfo> Info(const Digest& digest) const;
  absl::StatusOr<std::vector<ContentInfo>> List() const;
  // NotFound when absent.
  absl::Status Delete(const Digest& digest);
  absl::StatusOr<UniqueFd> OpenBlob(const Digest& digest) const;
  // The whole blob, checked against its digest (DataLoss when it does not match);
  // ResourceExhausted when larger than `max_size`. For manifests, indexes and configs.
  absl::StatusOr<std::string> ReadBlob(const Digest& digest, int64_t max_size) const;

  absl::StatusOr<std::vector<IngestStatus>> Statuses() const;
  absl::StatusOr<IngestStatus> Status(absl::string_view ref) const;
  // Removes the ingest of `ref`: NotFound when there is none, Unavailable while a
  // writer holds it.
  absl::Status Abort(absl::string_view ref);

  absl::StatusOr<ContentUsage> Usage() const;

 private:
  friend class ContentWriter;
  ContentStore(std::string root, UniqueFd blobs, UniqueFd ingest)
      : root_(std::move(root)), blobs_(std::move(blobs)), ingest_(std::move(ingest)) {}
  std::string BlobPath(const Digest& digest) const;
  absl::StatusOr<IngestStatus> ReadIngest(const std::string& dir_name) const;
  // Unlinks the ingest's files and its dir; the caller holds its lock.
  absl::Status RemoveIngest(const std::string& dir_name, int dir_fd);

  std::string root_;
  UniqueFd blobs_;   // blobs/sha256
  UniqueFd ingest_;  // ingest
};

}  // namespace berth::images
