// The rules for an OCI linux.cgroupsPath, shared by every cgroup implementation.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::oci {

// Checks `cgroups_path` and returns it without "." or empty components: "/a/b" when
// absolute, "a/b" when relative. Refuses "..", the root cgroup and an empty path. (The
// systemd driver's "slice:prefix:name" form is told apart before: IsSystemdCgroupsPath.)
absl::StatusOr<std::string> CleanCgroupsPath(absl::string_view cgroups_path);

// The absolute cgroup path of a cleaned cgroupsPath: relative ones nest under `own_path`.
std::string NestCgroupPath(absl::string_view own_path, absl::string_view cleaned);

// "/a/b/c" -> {"/a", "/a/b", "/a/b/c"}: every cgroup from below the root to the path.
std::vector<std::string> CgroupPathPrefixes(absl::string_view path);

}  // namespace berth::oci
