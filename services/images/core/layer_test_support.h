// Test helpers for layer apply/diff: tars built with libarchive's writer, temp dirs and
// whole-tree snapshots that can be compared with EXPECT_EQ.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/unique_fd.h"

namespace berth::images::testing {

struct TarEntry {
  std::string name;
  unsigned type = 0100000;  // AE_IFREG; AE_IFDIR, AE_IFLNK, AE_IFCHR, ... (S_IF* values)
  mode_t perm = 0644;       // permission bits incl. setuid/setgid/sticky
  std::string data;         // regular file contents
  std::string symlink;      // symlink target
  std::string hardlink;     // hard link target; when set the entry is a hard link
  uid_t uid = 0;
  gid_t gid = 0;
  int64_t mtime = 1700000000;
  long mtime_nsec = 0;
  unsigned rdev_major = 0;
  unsigned rdev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

TarEntry File(std::string name, std::string data, mode_t perm = 0644);
TarEntry Dir(std::string name, mode_t perm = 0755);
TarEntry Symlink(std::string name, std::string target);
TarEntry Hardlink(std::string name, std::string target);

enum class Compression { kNone, kGzip, kZstd };

// `plain` through gzip or zstd, with nothing after the compressed stream.
std::string Compress(const std::string& plain, Compression compression);

// A PAX tar of `entries` (padded to 10240 bytes, like tar(1) writes), compressed as asked.
std::string BuildTar(const std::vector<TarEntry>& entries,
                     Compression compression = Compression::kNone);

// A gzip'd tar of one `size`-byte file of zeros, made by streaming so the zeros are never
// held anywhere: about 1 MB per GiB.
std::string GzipBomb(int64_t size);

// A memfd holding `bytes`, positioned at 0.
UniqueFd MemFd(const std::string& bytes);
// The whole contents of `fd` from offset 0.
std::string ReadAll(int fd);

// A fresh directory /tmp/berth-<tag>-<pid>-XXXXXX, removed with everything below it.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Every entry below `dir` (not `dir` itself) → a line describing type, mode, owner,
// mtime, size and content hash, link target, device numbers, xattrs and (optionally) the
// link count. Equal maps mean equal trees.
std::map<std::string, std::string> SnapshotTree(const std::string& dir, bool with_nlink = false);

// mkdir -p then write `data` to `path`, for building trees by hand.
void WriteFile(const std::string& path, const std::string& data, mode_t mode = 0644);

}  // namespace berth::images::testing
