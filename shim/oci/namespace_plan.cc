#include "shim/oci/namespace_plan.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace berth::oci {
namespace {

constexpr int kCloneNewTime = 0x00000080;  // CLONE_NEWTIME, missing from older headers

std::string MapText(const std::vector<IdMapping>& mappings) {
  std::string text;
  for (const IdMapping& m : mappings) {
    absl::StrAppend(&text, m.container_id, " ", m.host_id, " ", m.size, "\n");
  }
  return text;
}

absl::Status WriteProcFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
  ssize_t n = ::write(fd, text.data(), text.size());
  int saved = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return absl::InternalError(absl::StrCat("write ", path, ": ", std::strerror(saved)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> NamespaceCloneFlag(const std::string& type) {
  if (type == "pid") return CLONE_NEWPID;
  if (type == "network") return CLONE_NEWNET;
  if (type == "mount") return CLONE_NEWNS;
  if (type == "ipc") return CLONE_NEWIPC;
  if (type == "uts") return CLONE_NEWUTS;
  if (type == "user") return CLONE_NEWUSER;
  if (type == "cgroup") return CLONE_NEWCGROUP;
  if (type == "time") return kCloneNewTime;
  return absl::InvalidArgumentError(absl::StrCat("unknown namespace type \"", type, "\""));
}

NamespacePlan::~NamespacePlan() {
  for (const Join& join : joins) ::close(join.fd);
}

absl::Status NamespacePlan::EnterPidNamespace() const {
  for (const Join& join : joins) {
    if (join.nstype == CLONE_NEWPID && ::setns(join.fd, CLONE_NEWPID) != 0) {
      return absl::InternalError(absl::StrCat("setns ", join.path, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

absl::Status NamespacePlan::WriteIdMaps(pid_t pid) const {
  std::string proc = absl::StrCat("/proc/", pid);
  if (absl::Status s = WriteProcFile(proc + "/uid_map", uid_map); !s.ok()) return s;
  return WriteProcFile(proc + "/gid_map", gid_map);
}

absl::StatusOr<NamespacePlan> PlanNamespaces(const Spec& spec) {
  NamespacePlan plan;
  plan.paths.reserve(spec.linux_config.namespaces.size());
  for (const Namespace& ns : spec.linux_config.namespaces) {
    auto flag = NamespaceCloneFlag(ns.type);
    if (!flag.ok()) return flag.status();
    if (*flag == CLONE_NEWNS) plan.mount_namespace = true;
    if (ns.path.empty()) {
      if (*flag == CLONE_NEWCGROUP) {
        plan.cgroup_namespace = true;
      } else if (*flag == kCloneNewTime) {
        plan.time_namespace = true;  // 0x80 is in clone()'s exit signal byte
      } else {
        plan.clone_flags |= *flag;
      }
      if (*flag == CLONE_NEWUSER) plan.user_namespace = true;
      continue;
    }
    int fd = ::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::NotFoundError(
          absl::StrCat("namespace ", ns.type, " path ", ns.path, ": ", std::strerror(errno)));
    }
    plan.paths.push_back(ns.path);
    NamespacePlan::Join join{fd, *flag, plan.paths.back().c_str()};
    if (*flag == CLONE_NEWUSER) {
      plan.joins.insert(plan.joins.begin(), join);
    } else {
      plan.joins.push_back(join);
    }
  }
  for (const auto& [clock, offset] : spec.linux_config.time_offsets) {
    absl::StrAppend(&plan.time_offsets, clock, " ", offset.secs, " ", offset.nanosecs, "\n");
  }
  if (!plan.time_offsets.empty() && !plan.time_namespace) {
    return absl::InvalidArgumentError(
        "linux.timeOffsets: needs a new time namespace in linux.namespaces");
  }
  if (plan.user_namespace) {
    plan.uid_map = MapText(spec.linux_config.uid_mappings);
    plan.gid_map = MapText(spec.linux_config.gid_mappings);
    if (plan.uid_map.empty() || plan.gid_map.empty()) {
      return absl::InvalidArgumentError(
          "linux.uidMappings and linux.gidMappings are required with a new user namespace");
    }
  }
  return plan;
}

}  // namespace berth::oci
