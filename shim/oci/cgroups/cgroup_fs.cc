#include "shim/oci/cgroups/cgroup_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/unique_fd.h"
#include "shim/oci/cgroups/cgroup_path.h"

namespace berth::oci::cgroupfs {
namespace {

std::vector<std::string> SubDirectories(const std::string& dir) {
  std::vector<std::string> subdirs;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return subdirs;
  while (struct dirent* entry = readdir(d)) {
    absl::string_view name = entry->d_name;
    if (entry->d_type != DT_DIR || name == "." || name == "..") continue;
    subdirs.push_back(absl::StrCat(dir, "/", name));
  }
  closedir(d);
  return subdirs;
}

absl::Status RemoveOne(const std::string& dir, absl::Time deadline) {
  for (const std::string& sub : SubDirectories(dir)) {
    if (absl::Status s = RemoveOne(sub, deadline); !s.ok()) return s;
  }
  absl::Duration pause = absl::Milliseconds(2);
  while (rmdir(dir.c_str()) != 0) {
    int err = errno;
    if (err == ENOENT) return absl::OkStatus();
    if ((err != EBUSY && err != EAGAIN && err != EINTR) || absl::Now() >= deadline) {
      std::vector<pid_t> left = ReadPidsRecursive(dir);
      std::string detail =
          left.empty() ? ""
                       : absl::StrCat(" (processes still inside: ", absl::StrJoin(left, " "), ")");
      return absl::ErrnoToStatus(err, absl::StrCat("removing cgroup ", dir, detail));
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(100));
  }
  return absl::OkStatus();
}

}  // namespace

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("opening ", path));
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("reading ", path));
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

absl::StatusOr<std::string> ReadTrimmed(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return std::string(absl::StripAsciiWhitespace(*text));
}

absl::StatusOr<uint64_t> ReadUint(const std::string& path) {
  absl::StatusOr<std::string> text = ReadTrimmed(path);
  if (!text.ok()) return text.status();
  uint64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value)) {
    return absl::DataLossError(absl::StrCat(path, " holds \"", *text, "\", not a number"));
  }
  return value;
}

absl::Status WriteFile(const std::string& path, absl::string_view value) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("opening ", path, " for writing"));
  ssize_t n;
  do {
    n = write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("writing \"", value, "\" to ", path));
  }
  return absl::OkStatus();
}

std::map<std::string, uint64_t> ParseFlatKeyed(absl::string_view text) {
  std::map<std::string, uint64_t> values;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t value = 0;
    if (kv.size() == 2 && absl::SimpleAtoi(kv[1], &value)) values[std::string(kv[0])] = value;
  }
  return values;
}

uint64_t ReadKeyOrZero(const std::string& path, absl::string_view key) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return 0;
  std::map<std::string, uint64_t> values = ParseFlatKeyed(*text);
  auto it = values.find(std::string(key));
  return it == values.end() ? 0 : it->second;
}

absl::Status MakeCgroupDirs(const std::string& mountpoint, const std::string& dir,
                            std::vector<std::string>* created) {
  if (!absl::StartsWith(dir, mountpoint) || dir.size() <= mountpoint.size()) {
    return absl::InvalidArgumentError(absl::StrCat(dir, " is not below ", mountpoint));
  }
  absl::string_view rest = absl::string_view(dir).substr(mountpoint.size());
  std::vector<std::string> prefixes = CgroupPathPrefixes(rest);
  for (size_t i = 0; i < prefixes.size(); ++i) {
    std::string path = absl::StrCat(absl::StripSuffix(mountpoint, "/"), prefixes[i]);
    if (mkdir(path.c_str(), 0755) == 0) {
      created->push_back(path);
      continue;
    }
    if (errno != EEXIST) return absl::ErrnoToStatus(errno, absl::StrCat("creating cgroup ", path));
    if (i + 1 == prefixes.size()) {
      return absl::AlreadyExistsError(absl::StrCat("cgroup ", path, " exists already"));
    }
  }
  return absl::OkStatus();
}

absl::Status RemoveCgroupTree(const std::string& dir, absl::Duration timeout) {
  return RemoveOne(dir, absl::Now() + timeout);
}

std::vector<pid_t> ReadPidsRecursive(const std::string& dir) {
  std::vector<pid_t> pids;
  if (absl::StatusOr<std::string> text = ReadFile(absl::StrCat(dir, "/cgroup.procs")); text.ok()) {
    for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
      pid_t pid = 0;
      if (absl::SimpleAtoi(line, &pid)) pids.push_back(pid);
    }
  }
  for (const std::string& sub : SubDirectories(dir)) {
    std::vector<pid_t> more = ReadPidsRecursive(sub);
    pids.insert(pids.end(), more.begin(), more.end());
  }
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  return pids;
}

absl::Status SignalAll(const std::vector<pid_t>& pids, int signal) {
  for (pid_t pid : pids) {
    if (kill(pid, signal) != 0 && errno != ESRCH) {
      return absl::ErrnoToStatus(errno, absl::StrCat("sending signal ", signal, " to ", pid));
    }
  }
  return absl::OkStatus();
}

absl::Status WaitFor(const std::function<absl::StatusOr<bool>()>& done, absl::Duration timeout,
                     absl::string_view what) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = absl::Milliseconds(1);
  for (;;) {
    absl::StatusOr<bool> reached = done();
    if (!reached.ok()) return reached.status();
    if (*reached) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("timed out after ", absl::FormatDuration(timeout), " waiting for ", what));
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(50));
  }
}

}  // namespace berth::oci::cgroupfs
