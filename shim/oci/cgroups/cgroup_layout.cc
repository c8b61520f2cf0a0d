#include "shim/oci/cgroups/cgroup_layout.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_text.h"

namespace berth::oci {
namespace {

constexpr const char* kControllers[] = {"cpu",     "cpuacct", "cpuset", "memory",     "devices",
                                        "freezer", "net_cls", "blkio",  "perf_event", "net_prio",
                                        "hugetlb", "pids",    "rdma",   "misc"};

bool IsController(absl::string_view name) {
  return std::any_of(std::begin(kControllers), std::end(kControllers),
                     [&](const char* c) { return name == c; });
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

const CgroupHierarchy* CgroupLayout::FindHierarchy(absl::string_view controller) const {
  for (const CgroupHierarchy& h : v1_hierarchies) {
    if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) {
      return &h;
    }
  }
  return nullptr;
}

std::string CgroupDirectory(absl::string_view mountpoint, absl::string_view root,
                            absl::string_view cgroup_path) {
  absl::string_view rest = cgroup_path;
  if (root != "/" && (rest == root || absl::StartsWith(rest, absl::StrCat(root, "/")))) {
    rest.remove_prefix(root.size());
  }
  rest = absl::StripPrefix(rest, "/");
  if (rest.empty()) return std::string(mountpoint);
  return absl::StrCat(absl::StripSuffix(mountpoint, "/"), "/", rest);
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
      layout.unified_root = std::string(left[3]);
    } else if (right[0] == "cgroup") {
      CgroupHierarchy hierarchy{{}, std::string(left[4]), std::string(left[3]), ""};
      for (absl::string_view opt : absl::StrSplit(right[2], ',')) {
        if (IsController(opt)) hierarchy.controllers.emplace_back(opt);
      }
      // Named hierarchies and second mounts of a hierarchy seen already are skipped.
      if (hierarchy.controllers.empty() ||
          layout.FindHierarchy(hierarchy.controllers.front()) != nullptr) {
        continue;
      }
      layout.v1_controllers.insert(layout.v1_controllers.end(), hierarchy.controllers.begin(),
                                   hierarchy.controllers.end());
      layout.v1_hierarchies.push_back(std::move(hierarchy));
    }
  }
  std::sort(layout.v1_controllers.begin(), layout.v1_controllers.end());
  if (layout.v1_controllers.empty() && layout.unified_mountpoint.empty()) {
    return absl::NotFoundError("no cgroup file system is mounted");
  }
  if (layout.v1_controllers.empty()) {
    layout.version = CgroupLayout::Version::kV2;
  } else if (!layout.unified_mountpoint.empty()) {
    layout.version = CgroupLayout::Version::kHybrid;
  }

  // /proc/self/cgroup: "0::/path" for v2, "N:controller[,controller]:/path" for v1.
  for (absl::string_view line : absl::StrSplit(proc_self_cgroup, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) continue;
    if (parts[0] == "0" && parts[1].empty()) {
      layout.unified_own_path = std::string(parts[2]);
      continue;
    }
    for (absl::string_view controller : absl::StrSplit(parts[1], ',')) {
      for (CgroupHierarchy& h : layout.v1_hierarchies) {
        if (std::find(h.controllers.begin(), h.controllers.end(), controller) !=
            h.controllers.end()) {
          h.own_path = std::string(parts[2]);
        }
      }
    }
  }
  if (layout.version == CgroupLayout::Version::kV2) {
    layout.own_path = layout.unified_own_path;
  } else if (const CgroupHierarchy* memory = layout.FindHierarchy("memory")) {
    layout.own_path = memory->own_path;
  }
  return layout;
}

absl::StatusOr<CgroupLayout> DetectCgroupLayout() {
  auto mountinfo = ReadFileText("/proc/self/mountinfo");
  if (!mountinfo.ok()) return mountinfo.status();
  auto cgroup = ReadFileText("/proc/self/cgroup");
  if (!cgroup.ok()) return cgroup.status();
  return ParseCgroupLayout(*mountinfo, *cgroup);
}

}  // namespace berth::oci
