// The root file system of a container as a plan the parent lays out before clone():
// plain structs and C strings the child only reads (no allocation after clone).
#pragma once

#include <sys/mount.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shim/oci/spec.h"

namespace berth::oci {

// The options a remount sets on one mount: read-only, nosuid, nodev, noexec, access times.
constexpr unsigned long kPerMountFlags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                         MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;

struct MountStep {
  const char* source = nullptr;       // host path for binds; fs source otherwise
  const char* destination = nullptr;  // absolute, inside the container
  const char* fstype = nullptr;       // nullptr for binds
  const char* data = nullptr;
  unsigned long flags = 0;        // MS_* for the mount itself
  unsigned long propagation = 0;  // applied after mounting, 0 for none
  bool bind = false;
  // A bind ignores every flag but MS_REC: the ones it asked for (ro, nosuid, nodev,
  // noexec, atime) are set by remounting it, 0 when it asked for none.
  unsigned long bind_remount_flags = 0;
  // MOUNT_ATTR_* set and cleared on the mount and every mount under it ("rro", "rnoexec").
  uint64_t recursive_attr_set = 0;
  uint64_t recursive_attr_clr = 0;
  bool populate_dev = false;    // this is /dev as a tmpfs: create devices and links
  bool refuse_symlink = false;  // proc and sysfs: a destination that is a link is refused
  // A "cgroup" mount on a v1 or hybrid host: this is its tmpfs, plan.cgroup_view goes in
  // it, and then it is remounted read-only when the mount asked "ro".
  bool cgroup_view = false;
  bool cgroup_view_readonly = false;
};

// What a "cgroup" mount shows on a v1 or hybrid host, as runc lays it out: in a tmpfs, a
// directory per hierarchy named as the host names it, with the container's own cgroup
// directory bound on it, and a link for each controller mounted with others.
struct CgroupView {
  struct Bind {
    const char* name = nullptr;    // one path component: "memory", "cpu,cpuacct", "unified"
    const char* source = nullptr;  // the container's cgroup directory on the host
  };
  struct Link {
    const char* name = nullptr;    // "cpu"
    const char* target = nullptr;  // "cpu,cpuacct": a sibling in the tmpfs
  };
  std::vector<Bind> binds;
  std::vector<Link> links;
};

struct DeviceNode {
  const char* path = nullptr;  // absolute, inside the container
  mode_t mode = 0;             // S_IFCHR/S_IFBLK/S_IFIFO | permissions
  dev_t dev = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct RootfsPlan {
  const char* rootfs = nullptr;  // absolute host path
  unsigned long rootfs_propagation = 0;
  bool readonly_root = false;
  const char* hostname = nullptr;  // nullptr: leave as is
  const char* domainname = nullptr;
  std::vector<MountStep> mounts;
  std::vector<DeviceNode> devices;  // created under a populated /dev
  std::vector<const char*> masked_paths;
  std::vector<const char*> readonly_paths;
  CgroupView cgroup_view;  // PlanCgroupView fills it once the container's cgroup exists

  // Owns the strings the pointers above refer to; a deque never moves its elements.
  std::deque<std::string> strings;
  const char* Keep(std::string s) { return strings.emplace_back(std::move(s)).c_str(); }
};

// Docker's and runc's default device nodes (null, zero, full, random, urandom, tty) plus
// the spec's linux.devices. `bundle` resolves a relative root.path. A "cgroup" mount on a
// v1 or hybrid host is left with an empty cgroup_view: see PlanCgroupView.
absl::StatusOr<RootfsPlan> PlanRootfs(const Spec& spec, const std::string& bundle);

}  // namespace berth::oci
