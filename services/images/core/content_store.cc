#include "services/images/core/content_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace berth::images {
namespace {

constexpr char kRefFile[] = "ref";
constexpr char kDataFile[] = "data";
constexpr char kTotalFile[] = "total";
constexpr char kExpectedFile[] = "expected";
constexpr char kStartedAtFile[] = "startedat";
// A ref whose ingest vanished between mkdir and flock (a commit or an abort raced us)
// is tried again; more races in a row than this means something is wrong.
constexpr int kLockAttempts = 16;
constexpr size_t kChunk = 1 << 20;

absl::Status Errno(int err, absl::string_view what) { return absl::ErrnoToStatus(err, what); }

std::string Quoted(absl::string_view ref) {
  return absl::StrCat("\"", absl::CHexEscape(ref), "\"");
}

absl::Time FromTimespec(int64_t sec, int64_t nsec) {
  return absl::FromUnixSeconds(sec) + absl::Nanoseconds(nsec);
}

absl::Status WriteAll(int fd, absl::string_view bytes, int64_t offset, absl::string_view what) {
  while (!bytes.empty()) {
    ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno(errno, what);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return absl::OkStatus();
}

// The text of a small file in `dir_fd`; NotFound when it does not exist.
absl::StatusOr<std::string> ReadSmallAt(int dir_fd, const char* name) {
  UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return Errno(errno, absl::StrCat("opening ", name));
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno(errno, absl::StrCat("reading ", name));
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Replaces `name` in `dir_fd` atomically (write a temporary file, rename over).
absl::Status WriteSmallAt(int dir_fd, const char* name, absl::string_view text) {
  std::string tmp = absl::StrCat(name, ".tmp");
  UniqueFd fd(
      ::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return Errno(errno, absl::StrCat("creating ingest file ", tmp));
  BERTH_RETURN_IF_ERROR(WriteAll(fd.get(), text, 0, absl::StrCat("writing ingest file ", tmp)));
  if (::renameat(dir_fd, tmp.c_str(), dir_fd, name) != 0) {
    return Errno(errno, absl::StrCat("renaming ingest file ", tmp));
  }
  return absl::OkStatus();
}

absl::Status RemoveSmallAt(int dir_fd, const char* name) {
  if (::unlinkat(dir_fd, name, 0) != 0 && errno != ENOENT) {
    return Errno(errno, absl::StrCat("removing ingest file ", name));
  }
  return absl::OkStatus();
}

// The names in a directory, without "." and "..".
absl::StatusOr<std::vector<std::string>> ListDir(int dir_fd) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno(errno, "opening directory");
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    ::close(fd);
    return Errno(err, "opening directory");
  }
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(dir)) {
    absl::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  return names;
}

absl::StatusOr<UniqueFd> MkdirOpen(int parent_fd, const std::string& name,
                                   const std::string& path) {
  if (::mkdirat(parent_fd, name.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno(errno, absl::StrCat("creating ", path));
  }
  UniqueFd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return Errno(errno, absl::StrCat("opening ", path));
  return fd;
}

// Whether `name` in `parent_fd` is still the directory open as `fd`.
bool StillLinked(int parent_fd, const std::string& name, int fd) {
  struct stat open_st, now_st;
  return ::fstat(fd, &open_st) == 0 &&
         ::fstatat(parent_fd, name.c_str(), &now_st, AT_SYMLINK_NOFOLLOW) == 0 &&
         open_st.st_ino == now_st.st_ino && open_st.st_dev == now_st.st_dev;
}

std::string IngestName(absl::string_view ref) { return std::string(Digest::Of(ref).hex()); }

}  // namespace

// ---- ContentWriter ----

ContentWriter::~ContentWriter() { Finish(/*remove_ingest=*/false); }

absl::Status ContentWriter::CheckOpen() const {
  if (!data_) {
    return absl::FailedPreconditionError(
        absl::StrCat("writer for ref ", Quoted(ref_), " is already committed or closed"));
  }
  return absl::OkStatus();
}

void ContentWriter::Finish(bool remove_ingest) {
  if (!dir_) return;
  if (remove_ingest) store_->RemoveIngest(dir_name_, dir_.get()).IgnoreError();
  data_.Reset();
  dir_.Reset();  // releases the flock
}

absl::Status ContentWriter::Rehash(int64_t size) {
  struct stat st;
  if (::fstat(data_.get(), &st) != 0) return Errno(errno, "stat of ingest data");
  if (size > st.st_size) {
    return absl::InvalidArgumentError(absl::StrCat("cannot truncate ref ", Quoted(ref_), " to ",
                                                   size, ": only ", st.st_size, " bytes written"));
  }
  if (size < st.st_size && ::ftruncate(data_.get(), size) != 0) {
    return Errno(errno, absl::StrCat("truncating ingest data of ref ", Quoted(ref_)));
  }
  hasher_ = Sha256Hasher();
  std::string buf(kChunk, '\0');
  int64_t done = 0;
  while (done < size) {
    size_t want = static_cast<size_t>(std::min<int64_t>(size - done, kChunk));
    ssize_t n = ::pread(data_.get(), buf.data(), want, done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno(errno, absl::StrCat("re-reading ingest data of ref ", Quoted(ref_)));
    if (n == 0) return absl::DataLossError("ingest data shrank while re-hashing");
    hasher_.Update(buf.data(), static_cast<size_t>(n));
    done += n;
  }
  offset_ = size;
  return absl::OkStatus();
}

absl::Status ContentWriter::Write(absl::string_view bytes) {
  BERTH_RETURN_IF_ERROR(CheckOpen());
  if (total_ >= 0 && offset_ + static_cast<int64_t>(bytes.size()) > total_) {
    return absl::FailedPreconditionError(absl::StrCat("writing ", bytes.size(), " bytes at offset ",
                                                      offset_, " of ref ", Quoted(ref_),
                                                      " goes past its expected size ", total_));
  }
  absl::Status status = WriteAll(data_.get(), bytes, offset_,
                                 absl::StrCat("writing ingest data of ref ", Quoted(ref_)));
  if (!status.ok()) {
    // Part of the bytes may have landed: hash exactly what is on disk again.
    struct stat st;
    if (::fstat(data_.get(), &st) == 0)
      Rehash(std::min<int64_t>(st.st_size, offset_)).IgnoreError();
    return status;
  }
  hasher_.Update(bytes);
  offset_ += static_cast<int64_t>(bytes.size());
  return absl::OkStatus();
}

absl::Status ContentWriter::Truncate(int64_t size) {
  BERTH_RETURN_IF_ERROR(CheckOpen());
  if (size < 0) return absl::InvalidArgumentError("negative truncate size");
  return Rehash(size);
}

absl::StatusOr<Digest> ContentWriter::Commit(int64_t size, const Digest* expected) {
  BERTH_RETURN_IF_ERROR(CheckOpen());
  if (size < 0) size = total_;
  if (expected == nullptr && !expected_.empty()) expected = &expected_;
  if (::fsync(data_.get()) != 0) {
    absl::Status status = Errno(errno, absl::StrCat("fsync of ingest data of ref ", Quoted(ref_)));
    Finish(/*remove_ingest=*/false);
    return status;
  }
  if (size >= 0 && offset_ != size) {
    // Short: the rest may still come (resume). Long: these bytes can never be the blob.
    Finish(/*remove_ingest=*/offset_ > size);
    return absl::FailedPreconditionError(absl::StrCat("committing ref ", Quoted(ref_), ": ",
                                                      offset_, " bytes written, expected ", size));
  }
  Digest got = hasher_.Peek();
  if (expected != nullptr && got != *expected) {
    Finish(/*remove_ingest=*/true);
    return absl::FailedPreconditionError(absl::StrCat("committing ref ", Quoted(ref_),
                                                      ": digest mismatch: expected ",
                                                      expected->str(), ", got ", got.str()));
  }
  std::string hex(got.hex());
  if (::fchmod(data_.get(), 0444) != 0) {
    absl::Status status = Errno(errno, "making ingest data read-only");
    Finish(false);
    return status;
  }
  // Never replaces a blob: an existing one has the same bytes already.
  int rc = ::renameat2(dir_.get(), kDataFile, store_->blobs_.get(), hex.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && errno == EINVAL) {
    // A filesystem without RENAME_NOREPLACE: should another commit of the same digest
    // land between the check and the rename, the rename swaps in equal bytes atomically.
    rc = ::faccessat(store_->blobs_.get(), hex.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0
             ? (errno = EEXIST, -1)
             : ::renameat(dir_.get(), kDataFile, store_->blobs_.get(), hex.c_str());
  }
  if (rc != 0 && errno != EEXIST) {
    absl::Status status = Errno(errno, absl::StrCat("publishing blob ", got.str()));
    Finish(false);
    return status;
  }
  if (rc == 0 && ::fsync(store_->blobs_.get()) != 0) {
    absl::Status status = Errno(errno, "fsync of the blobs directory");
    Finish(true);
    return status;
  }
  Finish(/*remove_ingest=*/true);
  return got;
}

// ---- ContentStore ----

absl::StatusOr<std::unique_ptr<ContentStore>> ContentStore::Open(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty()) return absl::InvalidArgumentError("content store root is empty");
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno(errno, absl::StrCat("creating content store root ", root));
  }
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return Errno(errno, absl::StrCat("opening content store root ", root));
  BERTH_ASSIGN_OR_RETURN(UniqueFd blobs_top, MkdirOpen(root_fd.get(), "blobs", root + "/blobs"));
  BERTH_ASSIGN_OR_RETURN(UniqueFd blobs,
                         MkdirOpen(blobs_top.get(), "sha256", root + "/blobs/sha256"));
  BERTH_ASSIGN_OR_RETURN(UniqueFd ingest, MkdirOpen(root_fd.get(), "ingest", root + "/ingest"));
  return std::unique_ptr<ContentStore>(
      new ContentStore(std::move(root), std::move(blobs), std::move(ingest)));
}

std::string ContentStore::BlobPath(const Digest& digest) const {
  return absl::StrCat(root_, "/blobs/sha256/", digest.hex());
}

absl::StatusOr<std::unique_ptr<ContentWriter>> ContentStore::Writer(absl::string_view ref,
                                                                    int64_t expected_size,
                                                                    const Digest* expected) {
  if (expected != nullptr) {
    if (expected->empty()) return absl::InvalidArgumentError("empty expected digest");
    std::string hex(expected->hex());
    if (::faccessat(blobs_.get(), hex.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
      return absl::AlreadyExistsError(absl::StrCat("content ", expected->str(), " already exists"));
    }
  }
  const std::string name = IngestName(ref);
  const std::string path = absl::StrCat(root_, "/ingest/", name);
  UniqueFd dir;
  for (int attempt = 0; !dir; ++attempt) {
    if (attempt == kLockAttempts) {
      return absl::UnavailableError(
          absl::StrCat("ingest of ref ", Quoted(ref), " keeps vanishing while being locked"));
    }
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, MkdirOpen(ingest_.get(), name, path));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return absl::UnavailableError(absl::StrCat("ref ", Quoted(ref), " is locked"));
      }
      return Errno(errno, absl::StrCat("locking ", path));
    }
    // A committer or an aborter may have removed the dir between our open and flock.
    if (StillLinked(ingest_.get(), name, fd.get())) dir = std::move(fd);
  }

  absl::StatusOr<std::string> stored_ref = ReadSmallAt(dir.get(), kRefFile);
  if (!stored_ref.ok() && !absl::IsNotFound(stored_ref.status())) return stored_ref.status();
  bool restart = false;
  if (!stored_ref.ok() || *stored_ref != ref) {  // new, or left half-made by a crash
    BERTH_RETURN_IF_ERROR(
        WriteSmallAt(dir.get(), kStartedAtFile,
                     absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone())));
    BERTH_RETURN_IF_ERROR(RemoveSmallAt(dir.get(), kTotalFile));
    BERTH_RETURN_IF_ERROR(RemoveSmallAt(dir.get(), kExpectedFile));
    BERTH_RETURN_IF_ERROR(WriteSmallAt(dir.get(), kRefFile, ref));
    restart = true;
  }
  BERTH_ASSIGN_OR_RETURN(IngestStatus status, ReadIngest(name));
  if (expected != nullptr) {
    if (!status.expected.empty() && status.expected != *expected) restart = true;
    BERTH_RETURN_IF_ERROR(WriteSmallAt(dir.get(), kExpectedFile, expected->str()));
    status.expected = *expected;
  }
  if (expected_size >= 0) {
    if (status.offset > expected_size) restart = true;
    BERTH_RETURN_IF_ERROR(WriteSmallAt(dir.get(), kTotalFile, absl::StrCat(expected_size)));
    status.total = expected_size;
  }
  constexpr int kDataFlags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
  UniqueFd data(::openat(dir.get(), kDataFile, kDataFlags, 0600));
  if (!data && errno == EACCES) {  // a crash between Commit's chmod 0444 and its rename
    ::fchmodat(dir.get(), kDataFile, 0600, 0);
    data.Reset(::openat(dir.get(), kDataFile, kDataFlags, 0600));
  }
  if (!data) return Errno(errno, absl::StrCat("opening ", path, "/", kDataFile));
  struct stat st;
  if (::fstat(data.get(), &st) != 0) return Errno(errno, "stat of ingest data");

  std::unique_ptr<ContentWriter> writer(new ContentWriter(this, std::string(ref), name,
                                                          std::move(dir), std::move(data),
                                                          status.total, status.expected));
  BERTH_RETURN_IF_ERROR(writer->Rehash(restart ? 0 : st.st_size));
  return writer;
}

absl::StatusOr<ContentInfo> ContentStore::Info(const Digest& digest) const {
  if (digest.empty()) return absl::InvalidArgumentError("empty digest");
  std::string hex(digest.hex());
  struct statx stx;
  if (::statx(blobs_.get(), hex.c_str(), AT_SYMLINK_NOFOLLOW,
              STATX_SIZE | STATX_MTIME | STATX_BTIME, &stx) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("content ", digest.str(), " not found"));
    }
    return Errno(errno, absl::StrCat("stat of ", BlobPath(digest)));
  }
  ContentInfo info;
  info.digest = digest;
  info.size = static_cast<int64_t>(stx.stx_size);
  info.updated_at = FromTimespec(stx.stx_mtime.tv_sec, stx.stx_mtime.tv_nsec);
  info.created_at = (stx.stx_mask & STATX_BTIME)
                        ? FromTimespec(stx.stx_btime.tv_sec, stx.stx_btime.tv_nsec)
                        : info.updated_at;
  return info;
}

absl::StatusOr<std::vector<ContentInfo>> ContentStore::List() const {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(blobs_.get()));
  std::vector<ContentInfo> out;
  out.reserve(names.size());
  for (const std::string& name : names) {
    absl::StatusOr<Digest> digest = Digest::Parse(absl::StrCat("sha256:", name));
    if (!digest.ok()) continue;  // not a blob (a stray file)
    absl::StatusOr<ContentInfo> info = Info(*digest);
    if (absl::IsNotFound(info.status())) continue;  // deleted meanwhile
    if (!info.ok()) return info.status();
    out.push_back(*std::move(info));
  }
  return out;
}

absl::Status ContentStore::Delete(const Digest& digest) {
  if (digest.empty()) return absl::InvalidArgumentError("empty digest");
  std::string hex(digest.hex());
  if (::unlinkat(blobs_.get(), hex.c_str(), 0) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("content ", digest.str(), " not found"));
    }
    return Errno(errno, absl::StrCat("removing ", BlobPath(digest)));
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> ContentStore::OpenBlob(const Digest& digest) const {
  if (digest.empty()) return absl::InvalidArgumentError("empty digest");
  std::string hex(digest.hex());
  UniqueFd fd(::openat(blobs_.get(), hex.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("content ", digest.str(), " not found"));
    }
    return Errno(errno, absl::StrCat("opening ", BlobPath(digest)));
  }
  return fd;
}

absl::StatusOr<std::string> ContentStore::ReadBlob(const Digest& digest, int64_t max_size) const {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, OpenBlob(digest));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Errno(errno, absl::StrCat("stat of ", BlobPath(digest)));
  if (st.st_size > max_size) {
    return absl::ResourceExhaustedError(absl::StrCat("content ", digest.str(), " is ", st.st_size,
                                                     " bytes, more than the ", max_size,
                                                     " allowed here"));
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno(errno, absl::StrCat("reading ", BlobPath(digest)));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  if (Digest got = Digest::Of(out); got != digest) {
    return absl::DataLossError(
        absl::StrCat("content ", digest.str(), " is corrupt: its bytes hash to ", got.str()));
  }
  return out;
}

absl::StatusOr<IngestStatus> ContentStore::ReadIngest(const std::string& dir_name) const {
  UniqueFd dir(::openat(ingest_.get(), dir_name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return Errno(errno, absl::StrCat("opening ingest ", dir_name));
  IngestStatus status;
  BERTH_ASSIGN_OR_RETURN(status.ref, ReadSmallAt(dir.get(), kRefFile));
  struct stat st;
  if (::fstatat(dir.get(), kDataFile, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    status.offset = st.st_size;
    status.updated_at = FromTimespec(st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  }
  // Each optional file that is missing or unreadable (a crash mid-write) counts as unknown.
  if (absl::StatusOr<std::string> total = ReadSmallAt(dir.get(), kTotalFile); total.ok()) {
    if (!absl::SimpleAtoi(*total, &status.total) || status.total < 0) status.total = -1;
  }
  if (absl::StatusOr<std::string> expected = ReadSmallAt(dir.get(), kExpectedFile); expected.ok()) {
    if (absl::StatusOr<Digest> d = Digest::Parse(*expected); d.ok()) status.expected = *d;
  }
  if (absl::StatusOr<std::string> started = ReadSmallAt(dir.get(), kStartedAtFile); started.ok()) {
    std::string err;
    absl::ParseTime(absl::RFC3339_full, *started, &status.started_at, &err);
  }
  if (status.updated_at == absl::Time()) status.updated_at = status.started_at;
  return status;
}

absl::StatusOr<std::vector<IngestStatus>> ContentStore::Statuses() const {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(ingest_.get()));
  std::vector<IngestStatus> out;
  for (const std::string& name : names) {
    absl::StatusOr<IngestStatus> status = ReadIngest(name);
    if (absl::IsNotFound(status.status())) continue;  // committed meanwhile, or no ref yet
    if (!status.ok()) return status.status();
    out.push_back(*std::move(status));
  }
  return out;
}

absl::StatusOr<IngestStatus> ContentStore::Status(absl::string_view ref) const {
  absl::StatusOr<IngestStatus> status = ReadIngest(IngestName(ref));
  if (absl::IsNotFound(status.status()) || (status.ok() && status->ref != ref)) {
    return absl::NotFoundError(absl::StrCat("no ingest for ref ", Quoted(ref)));
  }
  return status;
}

absl::Status ContentStore::Abort(absl::string_view ref) {
  const std::string name = IngestName(ref);
  UniqueFd dir(::openat(ingest_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat("no ingest for ref ", Quoted(ref)));
    return Errno(errno, absl::StrCat("opening ingest of ref ", Quoted(ref)));
  }
  if (::flock(dir.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat("ref ", Quoted(ref), " is locked"));
    }
    return Errno(errno, absl::StrCat("locking ingest of ref ", Quoted(ref)));
  }
  if (!StillLinked(ingest_.get(), name, dir.get())) {  // committed or aborted meanwhile
    return absl::NotFoundError(absl::StrCat("no ingest for ref ", Quoted(ref)));
  }
  return RemoveIngest(name, dir.get());
}

absl::Status ContentStore::RemoveIngest(const std::string& dir_name, int dir_fd) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir_fd));
  for (const std::string& name : names) BERTH_RETURN_IF_ERROR(RemoveSmallAt(dir_fd, name.c_str()));
  if (::unlinkat(ingest_.get(), dir_name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return Errno(errno, absl::StrCat("removing ingest ", dir_name));
  }
  return absl::OkStatus();
}

absl::StatusOr<ContentUsage> ContentStore::Usage() const {
  BERTH_ASSIGN_OR_RETURN(std::vector<ContentInfo> blobs, List());
  ContentUsage usage;
  for (const ContentInfo& info : blobs) {
    ++usage.blob_count;
    usage.total_bytes += info.size;
  }
  return usage;
}

}  // namespace berth::images
