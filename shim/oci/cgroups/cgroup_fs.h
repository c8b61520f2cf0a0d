// File-level helpers over cgroupfs shared by the v1 and v2 implementations. Every error
// names the file or directory involved.
//
// Paths are joined as strings here: cgroupfs cannot hold symlinks and cgroup paths are
// checked for ".." (CleanCgroupsPath), so a joined path cannot leave the hierarchy.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace berth::oci::cgroupfs {

bool Exists(const std::string& path);
absl::StatusOr<std::string> ReadFile(const std::string& path);
// The file's text without surrounding whitespace.
absl::StatusOr<std::string> ReadTrimmed(const std::string& path);
absl::StatusOr<uint64_t> ReadUint(const std::string& path);
// Writes `value` in one write(2), as cgroupfs wants.
absl::Status WriteFile(const std::string& path, absl::string_view value);

// "key value" lines (memory.stat, cpu.stat, cgroup.events...) into a map.
std::map<std::string, uint64_t> ParseFlatKeyed(absl::string_view text);
// One key of a flat-keyed file; 0 when the file or the key is missing.
uint64_t ReadKeyOrZero(const std::string& path, absl::string_view key);

// Makes `dir` (below `mountpoint`) and its missing parents, appending each directory it
// made to `created`, outermost first. AlreadyExists when `dir` itself exists.
absl::Status MakeCgroupDirs(const std::string& mountpoint, const std::string& dir,
                            std::vector<std::string>* created);

// Removes `dir` and every cgroup below it, deepest first, retrying for up to `timeout`
// while processes exit. A missing directory is fine.
absl::Status RemoveCgroupTree(const std::string& dir, absl::Duration timeout = absl::Seconds(5));

// Processes listed in cgroup.procs of `dir` and of every cgroup below it.
std::vector<pid_t> ReadPidsRecursive(const std::string& dir);
// Sends `signal` to every pid; ones that already exited are skipped.
absl::Status SignalAll(const std::vector<pid_t>& pids, int signal);

// Polls `done` every few milliseconds until it holds true, errs, or `timeout` passes.
absl::Status WaitFor(const std::function<absl::StatusOr<bool>()>& done, absl::Duration timeout,
                     absl::string_view what);

}  // namespace berth::oci::cgroupfs
