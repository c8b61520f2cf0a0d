#include "services/runtime/core/cgroup_layout.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace berth::runtime {
namespace {

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string CgroupLayout::VersionName() const {
  switch (version) {
    case Version::kV1:
      return "1";
    case Version::kV2:
      return "2";
    case Version::kHybrid:
      return "hybrid";
  }
  return "1";
}

absl::StatusOr<CgroupLayout> ParseCgroupLayout(const std::string& mountinfo,
                                               const std::string& proc_self_cgroup) {
  CgroupLayout layout;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    // mountinfo: id parent major:minor root mountpoint options [optional...] - fstype source
    // superopts
    std::vector<absl::string_view> halves = absl::StrSplit(line, " - ");
    if (halves.size() != 2) continue;
    std::vector<absl::string_view> left = absl::StrSplit(halves[0], ' ');
    std::vector<absl::string_view> right = absl::StrSplit(halves[1], ' ');
    if (left.size() < 5 || right.size() < 3) continue;
    if (right[0] == "cgroup2" && layout.unified_mountpoint.empty()) {
      layout.unified_mountpoint = std::string(left[4]);
    } else if (right[0] == "cgroup") {
      for (absl::string_view opt : absl::StrSplit(right[2], ',')) {
        static constexpr const char* kControllers[] = {
            "cpu",   "cpuacct",    "cpuset",   "memory",  "devices", "freezer", "net_cls",
            "blkio", "perf_event", "net_prio", "hugetlb", "pids",    "rdma",    "misc"};
        for (const char* c : kControllers) {
          if (opt == c) layout.v1_controllers.emplace_back(opt);
        }
      }
    }
  }
  std::sort(layout.v1_controllers.begin(), layout.v1_controllers.end());
  layout.v1_controllers.erase(
      std::unique(layout.v1_controllers.begin(), layout.v1_controllers.end()),
      layout.v1_controllers.end());
  if (layout.v1_controllers.empty() && layout.unified_mountpoint.empty()) {
    return absl::NotFoundError("no cgroup file system is mounted");
  }
  if (layout.v1_controllers.empty()) {
    layout.version = CgroupLayout::Version::kV2;
  } else if (!layout.unified_mountpoint.empty()) {
    layout.version = CgroupLayout::Version::kHybrid;
  }

  // /proc/self/cgroup: "0::/path" for v2, "N:controllers:/path" for v1.
  for (absl::string_view line : absl::StrSplit(proc_self_cgroup, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) continue;
    bool v2_entry = parts[0] == "0" && parts[1].empty();
    bool memory_entry = absl::StrContains(parts[1], "memory");
    if ((layout.version == CgroupLayout::Version::kV2 && v2_entry) ||
        (layout.version != CgroupLayout::Version::kV2 && memory_entry)) {
      layout.own_path = std::string(parts[2]);
    }
  }
  return layout;
}

absl::StatusOr<CgroupLayout> DetectCgroupLayout() {
  auto mountinfo = ReadText("/proc/self/mountinfo");
  if (!mountinfo.ok()) return mountinfo.status();
  auto cgroup = ReadText("/proc/self/cgroup");
  if (!cgroup.ok()) return cgroup.status();
  return ParseCgroupLayout(*mountinfo, *cgroup);
}

}  // namespace berth::runtime
