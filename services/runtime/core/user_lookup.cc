#include "services/runtime/core/user_lookup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/in_root.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "shim/oci/spec_validate.h"

namespace berth::runtime {
namespace {

// Larger account files than this are not plausible and would only cost memory.
constexpr size_t kMaxAccountFileBytes = 4 << 20;

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// An id as Docker accepts it: decimal, 0..2^31-1.
std::optional<uint32_t> ParseId(absl::string_view text) {
  int64_t value = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &value)) return std::nullopt;
  if (value < 0 || value > oci::kMaxId) return std::nullopt;
  return static_cast<uint32_t>(value);
}

// The file at `path` inside the root, or nullopt when it does not exist. A FIFO or
// device there must not block or be read: only regular files count.
absl::StatusOr<std::optional<std::string>> ReadFileInRoot(int root_fd, absl::string_view path) {
  absl::StatusOr<UniqueFd> fd = OpenInRoot(root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (absl::IsNotFound(fd.status())) return std::optional<std::string>();
  if (!fd.ok()) return fd.status();
  struct stat st = {};
  if (::fstat(fd->get(), &st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("stat ", path, " in the container"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " in the container is not a regular file"));
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("reading ", path));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxAccountFileBytes) {
      return absl::FailedPreconditionError(absl::StrCat(path, " in the container is too large"));
    }
  }
  return std::optional<std::string>(std::move(text));
}

// Lines of a colon-separated account file, blank and comment lines skipped.
std::vector<std::vector<std::string>> AccountLines(absl::string_view text) {
  std::vector<std::vector<std::string>> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    lines.push_back(absl::StrSplit(line, ':'));
  }
  return lines;
}

// name:password:uid:gid:gecos:home:shell; malformed lines are skipped, as libc does.
std::vector<PasswdEntry> ParsePasswd(absl::string_view text) {
  std::vector<PasswdEntry> entries;
  for (const std::vector<std::string>& f : AccountLines(text)) {
    if (f.size() < 4) continue;
    std::optional<uint32_t> uid = ParseId(f[2]);
    std::optional<uint32_t> gid = ParseId(f[3]);
    if (!uid || !gid) continue;
    entries.push_back({f[0], *uid, *gid});
  }
  return entries;
}

// name:password:gid:member,member
std::vector<GroupEntry> ParseGroup(absl::string_view text) {
  std::vector<GroupEntry> entries;
  for (const std::vector<std::string>& f : AccountLines(text)) {
    if (f.size() < 3) continue;
    std::optional<uint32_t> gid = ParseId(f[2]);
    if (!gid) continue;
    GroupEntry entry{f[0], *gid, {}};
    if (f.size() > 3) entry.members = absl::StrSplit(f[3], ',', absl::SkipEmpty());
    entries.push_back(std::move(entry));
  }
  return entries;
}

// A group named or numbered `spec`: the first entry matching wins; a number needs none.
absl::StatusOr<uint32_t> ResolveGroup(const std::vector<GroupEntry>& groups,
                                      absl::string_view spec) {
  std::optional<uint32_t> number = ParseId(spec);
  for (const GroupEntry& g : groups) {
    if (number ? g.gid == *number : g.name == spec) return g.gid;
  }
  if (number) return *number;
  return absl::NotFoundError(
      absl::StrCat("unable to find group ", spec, ": no matching entries in group file"));
}

}  // namespace

absl::StatusOr<oci::User> ResolveUser(int rootfs_dir_fd, absl::string_view user,
                                      const std::vector<std::string>& group_add) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(user, absl::MaxSplits(':', 1));
  absl::string_view user_arg = parts.first;
  absl::string_view group_arg = parts.second;
  std::optional<uint32_t> uid_number = ParseId(user_arg);
  bool all_digits = !user_arg.empty() && std::all_of(user_arg.begin(), user_arg.end(),
                                                     [](char c) { return absl::ascii_isdigit(c); });
  if (all_digits && !uid_number) {
    return absl::InvalidArgumentError(absl::StrCat("uid ", user_arg, " is out of range"));
  }

  BERTH_ASSIGN_OR_RETURN(std::optional<std::string> passwd_text,
                         ReadFileInRoot(rootfs_dir_fd, "/etc/passwd"));
  BERTH_ASSIGN_OR_RETURN(std::optional<std::string> group_text,
                         ReadFileInRoot(rootfs_dir_fd, "/etc/group"));
  std::vector<PasswdEntry> passwd = ParsePasswd(passwd_text.value_or(""));
  std::vector<GroupEntry> groups = ParseGroup(group_text.value_or(""));

  oci::User result;
  // "" means the current (root) user: its passwd entry, if any, still applies.
  uint32_t wanted_uid = uid_number.value_or(0);
  const PasswdEntry* matched = nullptr;
  for (const PasswdEntry& entry : passwd) {
    bool match =
        (user_arg.empty() || uid_number) ? entry.uid == wanted_uid : entry.name == user_arg;
    if (match) {
      matched = &entry;
      break;
    }
  }
  if (matched != nullptr) {
    result.uid = matched->uid;
    result.gid = matched->gid;
  } else if (!user_arg.empty()) {
    if (!uid_number) {
      return absl::NotFoundError(
          absl::StrCat("unable to find user ", user_arg, ": no matching entries in passwd file"));
    }
    result.uid = *uid_number;
  }

  if (!group_arg.empty()) {
    // An explicit group replaces the primary gid and brings no supplementary groups.
    BERTH_ASSIGN_OR_RETURN(result.gid, ResolveGroup(groups, group_arg));
  } else if (matched != nullptr) {
    for (const GroupEntry& g : groups) {
      for (const std::string& member : g.members) {
        if (member == matched->name) {
          result.additional_gids.push_back(g.gid);
          break;
        }
      }
    }
  }
  for (const std::string& extra : group_add) {
    absl::StatusOr<uint32_t> gid = ResolveGroup(groups, extra);
    if (!gid.ok()) {
      return absl::NotFoundError(
          absl::StrCat("Unable to find group ", extra, ": no matching entries in group file"));
    }
    result.additional_gids.push_back(*gid);
  }
  return result;
}

}  // namespace berth::runtime
