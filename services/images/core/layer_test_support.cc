#include "services/images/core/layer_test_support.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/images/core/digest.h"

namespace berth::images::testing {
namespace {

void Check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

la_ssize_t AppendToString(archive*, void* out, const void* buf, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), size);
  return static_cast<la_ssize_t>(size);
}

void Describe(const std::string& base, const std::string& rel, bool with_nlink,
              std::map<std::string, std::string>& out) {
  std::string path = base + "/" + rel;
  struct stat st;
  Check(lstat(path.c_str(), &st) == 0, "lstat " + path);
  std::string line =
      absl::StrCat("mode=", absl::Hex(st.st_mode), " uid=", st.st_uid, " gid=", st.st_gid,
                   " mtime=", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec);
  if (S_ISREG(st.st_mode)) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    Check(fd >= 0, "open " + path);
    std::string data = ReadAll(fd);
    close(fd);
    absl::StrAppend(&line, " size=", st.st_size, " ", Digest::Of(data).str());
    if (with_nlink) absl::StrAppend(&line, " nlink=", st.st_nlink);
  } else if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
    Check(n >= 0, "readlink " + path);
    absl::StrAppend(&line, " -> ", std::string(buf, static_cast<size_t>(n)));
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    absl::StrAppend(&line, " rdev=", major(st.st_rdev), ":", minor(st.st_rdev));
  }
  char keys[4096];
  ssize_t n = llistxattr(path.c_str(), keys, sizeof(keys));
  if (n > 0) {
    std::vector<std::string> names =
        absl::StrSplit(absl::string_view(keys, n), '\0', absl::SkipEmpty());
    std::sort(names.begin(), names.end());
    for (const std::string& k : names) {
      char value[4096];
      ssize_t len = lgetxattr(path.c_str(), k.c_str(), value, sizeof(value));
      absl::StrAppend(&line, " ", k, "=", len >= 0 ? std::string(value, len) : "?");
    }
  }
  out[rel] = line;
  if (S_ISDIR(st.st_mode)) {
    for (const auto& child : std::filesystem::directory_iterator(path)) {
      std::string name = child.path().filename();
      Describe(base, rel.empty() ? name : rel + "/" + name, with_nlink, out);
    }
  }
}

}  // namespace

TarEntry File(std::string name, std::string data, mode_t perm) {
  TarEntry e;
  e.name = std::move(name);
  e.data = std::move(data);
  e.perm = perm;
  return e;
}

TarEntry Dir(std::string name, mode_t perm) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFDIR;
  e.perm = perm;
  return e;
}

TarEntry Symlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFLNK;
  e.perm = 0777;
  e.symlink = std::move(target);
  return e;
}

TarEntry Hardlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.hardlink = std::move(target);
  return e;
}

std::string Compress(const std::string& plain, Compression compression) {
  if (compression == Compression::kNone) return plain;
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  if (compression == Compression::kGzip) archive_write_add_filter_gzip(a);
  if (compression == Compression::kZstd) archive_write_add_filter_zstd(a);
  archive_write_set_bytes_in_last_block(a, 1);
  Check(archive_write_open(a, &out, nullptr, AppendToString, nullptr) == ARCHIVE_OK,
        "archive_write_open");
  archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_pathname(e, "layer.tar");
  Check(archive_write_header(a, e) == ARCHIVE_OK, "archive_write_header");
  archive_entry_free(e);
  Check(archive_write_data(a, plain.data(), plain.size()) == static_cast<la_ssize_t>(plain.size()),
        "archive_write_data");
  Check(archive_write_close(a) == ARCHIVE_OK, "archive_write_close");
  archive_write_free(a);
  return out;
}

std::string BuildTar(const std::vector<TarEntry>& entries, Compression compression) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  Check(archive_write_open(a, &out, nullptr, AppendToString, nullptr) == ARCHIVE_OK,
        "archive_write_open");
  for (const TarEntry& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, t.mtime_nsec);
    if (!t.hardlink.empty()) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, t.perm);
      archive_entry_set_hardlink(e, t.hardlink.c_str());
      archive_entry_set_size(e, 0);
    } else {
      archive_entry_set_filetype(e, t.type);
      archive_entry_set_perm(e, t.perm);
      if (t.type == AE_IFREG) archive_entry_set_size(e, static_cast<la_int64_t>(t.data.size()));
      if (t.type == AE_IFLNK) archive_entry_set_symlink(e, t.symlink.c_str());
      if (t.type == AE_IFCHR || t.type == AE_IFBLK) {
        archive_entry_set_rdevmajor(e, t.rdev_major);
        archive_entry_set_rdevminor(e, t.rdev_minor);
      }
    }
    for (const auto& [k, v] : t.xattrs) {
      archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    }
    int rc = archive_write_header(a, e);
    const char* err = archive_error_string(a);
    Check(rc == ARCHIVE_OK, absl::StrCat("archive_write_header ", t.name, ": rc ", rc, " ",
                                         err != nullptr ? err : ""));
    if (t.hardlink.empty() && t.type == AE_IFREG && !t.data.empty()) {
      Check(archive_write_data(a, t.data.data(), t.data.size()) ==
                static_cast<la_ssize_t>(t.data.size()),
            "archive_write_data");
    }
    archive_entry_free(e);
  }
  Check(archive_write_close(a) == ARCHIVE_OK, "archive_write_close");
  archive_write_free(a);
  return Compress(out, compression);
}

UniqueFd MemFd(const std::string& bytes) {
  UniqueFd fd(memfd_create("layer", MFD_CLOEXEC));
  Check(fd.valid(), "memfd_create");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd.get(), bytes.data() + done, bytes.size() - done);
    Check(n > 0, "write memfd");
    done += static_cast<size_t>(n);
  }
  Check(lseek(fd.get(), 0, SEEK_SET) == 0, "lseek");
  return fd;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof(buf), off);
    Check(n >= 0, "pread");
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return out;
}

TempDir::TempDir(const std::string& tag) {
  std::string tmpl = absl::StrCat("/tmp/berth-", tag, "-", getpid(), "-XXXXXX");
  Check(mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::map<std::string, std::string> SnapshotTree(const std::string& dir, bool with_nlink) {
  std::map<std::string, std::string> out;
  for (const auto& child : std::filesystem::directory_iterator(dir)) {
    Describe(dir, child.path().filename(), with_nlink, out);
  }
  return out;
}

void WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  Check(fd >= 0, "open " + path);
  Check(write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()), "write");
  close(fd);
}

std::string GzipBomb(int64_t size) {
  UniqueFd fd(memfd_create("bomb", MFD_CLOEXEC));
  archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  archive_write_add_filter_gzip(a);
  archive_write_set_filter_option(a, "gzip", "compression-level", "9");
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open_fd(a, fd.get());
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "zeros");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, size);
  archive_write_header(a, e);
  archive_entry_free(e);
  std::string zeros(1 << 20, '\0');
  for (int64_t done = 0; done < size; done += static_cast<int64_t>(zeros.size())) {
    if (archive_write_data(a, zeros.data(), zeros.size()) < 0) break;
  }
  archive_write_close(a);
  archive_write_free(a);
  return ReadAll(fd.get());
}

}  // namespace berth::images::testing
