#include "shim/oci/rootfs_plan.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "shim/oci/mount_options.h"

namespace berth::oci {
namespace {

absl::StatusOr<unsigned long> PropagationFlag(const std::string& name) {
  if (name.empty() || name == "rslave") return MS_SLAVE | MS_REC;  // runc's default
  if (name == "slave") return MS_SLAVE;
  if (name == "private") return MS_PRIVATE;
  if (name == "rprivate") return MS_PRIVATE | MS_REC;
  if (name == "shared") return MS_SHARED;
  if (name == "rshared") return MS_SHARED | MS_REC;
  if (name == "unbindable") return MS_UNBINDABLE;
  if (name == "runbindable") return MS_UNBINDABLE | MS_REC;
  return absl::InvalidArgumentError(
      absl::StrCat("linux.rootfsPropagation: unknown \"", name, "\""));
}

void AddDefaultDevices(RootfsPlan& plan) {
  struct Default {
    const char* path;
    unsigned major, minor;
  };
  static constexpr Default kDefaults[] = {{"/dev/null", 1, 3},    {"/dev/zero", 1, 5},
                                          {"/dev/full", 1, 7},    {"/dev/random", 1, 8},
                                          {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
  for (const Default& d : kDefaults) {
    plan.devices.push_back(DeviceNode{d.path, S_IFCHR | 0666, makedev(d.major, d.minor), 0, 0});
  }
}

absl::StatusOr<DeviceNode> SpecDevice(RootfsPlan& plan, const Device& device, size_t index) {
  mode_t type = 0;
  if (device.type == "c" || device.type == "u") {
    type = S_IFCHR;
  } else if (device.type == "b") {
    type = S_IFBLK;
  } else if (device.type == "p") {
    type = S_IFIFO;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("linux.devices[", index, "].type: unknown \"", device.type, "\""));
  }
  DeviceNode node;
  node.path = plan.Keep(device.path);
  node.mode = type | (device.file_mode.value_or(0666) & 07777);
  node.dev = makedev(static_cast<unsigned>(device.major), static_cast<unsigned>(device.minor));
  node.uid = device.uid.value_or(0);
  node.gid = device.gid.value_or(0);
  return node;
}

}  // namespace

absl::StatusOr<RootfsPlan> PlanRootfs(const Spec& spec, const std::string& bundle) {
  RootfsPlan plan;
  std::filesystem::path root(spec.root.path);
  if (root.is_relative()) root = std::filesystem::path(bundle) / root;
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::canonical(root, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("root.path ", root.string(), ": ", ec.message()));
  plan.rootfs = plan.Keep(canonical.string());
  auto propagation = PropagationFlag(spec.linux_config.rootfs_propagation);
  if (!propagation.ok()) return propagation.status();
  plan.rootfs_propagation = *propagation;
  plan.readonly_root = spec.root.readonly;
  if (!spec.hostname.empty()) plan.hostname = plan.Keep(spec.hostname);
  if (!spec.domainname.empty()) plan.domainname = plan.Keep(spec.domainname);

  bool dev_populated = false;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    auto flags = ParseMountOptions(m.options);
    if (!flags.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mounts[", i, "] (", m.destination, "): ", flags.status().message()));
    }
    MountStep step;
    step.destination = plan.Keep(m.destination);
    step.recursive_attr_set = flags->recursive_attr_set;
    step.recursive_attr_clr = flags->recursive_attr_clr;
    if (m.type == "cgroup") {
      // "cgroup" means the container's view of its cgroups. On a pure v2 host that is a
      // cgroup2 mount (scoped by the cgroup namespace). On v1/hybrid hosts it is a tmpfs
      // the container's cgroup directories are bound in (PlanCgroupView); the tmpfs
      // turns read-only only once they are.
      struct statfs fs {};
      bool unified = ::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
      if (unified) {
        step.source = plan.Keep("cgroup");
        step.fstype = plan.Keep("cgroup2");
        step.flags = flags->flags;
      } else {
        step.source = plan.Keep("tmpfs");
        step.fstype = plan.Keep("tmpfs");
        step.data = plan.Keep("mode=755");
        step.flags = flags->flags & ~MS_RDONLY;
        step.propagation = flags->propagation;
        step.cgroup_view = true;
        step.cgroup_view_readonly = (flags->flags & MS_RDONLY) != 0;
      }
      plan.mounts.push_back(step);
      continue;
    }
    step.bind = flags->bind || m.type == "bind";
    std::string source = m.source;
    if (step.bind && !source.empty() && source[0] != '/') source = bundle + "/" + source;
    step.source = plan.Keep(source.empty() ? m.type : source);
    step.fstype = step.bind ? nullptr : plan.Keep(m.type);
    step.data = flags->data.empty() ? nullptr : plan.Keep(flags->data);
    step.propagation = flags->propagation;
    if (step.bind) {
      step.flags = MS_BIND | (flags->recursive ? MS_REC : 0);
      // A bind ignores other flags until it is remounted.
      step.bind_remount_flags = flags->flags & kPerMountFlags;
    } else {
      step.flags = flags->flags;
    }
    // A rootfs whose /proc or /sys is a link could aim them at something the runtime
    // would then write to (runc's CVE-2019-16884 family).
    step.refuse_symlink = m.type == "proc" || m.type == "sysfs";
    if (m.destination == "/dev" && m.type == "tmpfs") {
      step.populate_dev = true;
      dev_populated = true;
    }
    plan.mounts.push_back(step);
  }
  if (dev_populated) AddDefaultDevices(plan);
  for (size_t i = 0; i < spec.linux_config.devices.size(); ++i) {
    auto node = SpecDevice(plan, spec.linux_config.devices[i], i);
    if (!node.ok()) return node.status();
    plan.devices.push_back(*node);
  }
  for (const std::string& path : spec.linux_config.masked_paths) {
    plan.masked_paths.push_back(plan.Keep(path));
  }
  for (const std::string& path : spec.linux_config.readonly_paths) {
    plan.readonly_paths.push_back(plan.Keep(path));
  }
  return plan;
}

}  // namespace berth::oci
