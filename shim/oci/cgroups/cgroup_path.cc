#include "shim/oci/cgroups/cgroup_path.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace berth::oci {

absl::StatusOr<std::string> CleanCgroupsPath(absl::string_view cgroups_path) {
  if (cgroups_path.empty()) return absl::InvalidArgumentError("the cgroups path is empty");
  bool absolute = absl::StartsWith(cgroups_path, "/");
  std::vector<absl::string_view> kept;
  for (absl::string_view part : absl::StrSplit(cgroups_path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("cgroups path \"", cgroups_path, "\" has a \"..\" component"));
    }
    kept.push_back(part);
  }
  if (kept.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cgroups path \"", cgroups_path, "\" names the root cgroup"));
  }
  return absl::StrCat(absolute ? "/" : "", absl::StrJoin(kept, "/"));
}

std::string NestCgroupPath(absl::string_view own_path, absl::string_view cleaned) {
  if (absl::StartsWith(cleaned, "/")) return std::string(cleaned);
  absl::string_view parent = absl::StripSuffix(absl::StripPrefix(own_path, "/"), "/");
  if (parent.empty()) return absl::StrCat("/", cleaned);
  return absl::StrCat("/", parent, "/", cleaned);
}

std::vector<std::string> CgroupPathPrefixes(absl::string_view path) {
  std::vector<std::string> prefixes;
  std::string current;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    absl::StrAppend(&current, "/", part);
    prefixes.push_back(current);
  }
  return prefixes;
}

}  // namespace berth::oci
