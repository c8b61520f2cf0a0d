#include "shim/oci/default_spec.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"

namespace berth::oci {
namespace {

Spec RootfulSpec() {
  const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  Spec spec;
  spec.oci_version = std::string(kOciVersion);
  spec.root = {.path = "rootfs", .readonly = true};
  Process& p = spec.process.emplace();
  p.terminal = true;
  p.args = {"sh"};
  p.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  p.cwd = "/";
  p.no_new_privileges = true;
  p.capabilities.bounding = caps;
  p.capabilities.effective = caps;
  p.capabilities.permitted = caps;
  p.rlimits = {{.type = "RLIMIT_NOFILE", .hard = 1024, .soft = 1024}};
  spec.hostname = "runc";  // runc's choice, kept so the two outputs stay comparable
  spec.mounts = {
      {"/proc", "proc", "proc", {}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
  };
  Linux& linux_config = spec.linux_config;
  linux_config.masked_paths = {"/proc/acpi",
                               "/proc/asound",
                               "/proc/kcore",
                               "/proc/keys",
                               "/proc/latency_stats",
                               "/proc/timer_list",
                               "/proc/timer_stats",
                               "/proc/sched_debug",
                               "/sys/firmware",
                               "/proc/scsi",
                               "/sys/devices/virtual/tpm"};
  linux_config.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                 "/proc/sysrq-trigger"};
  DeviceRule deny_all;
  deny_all.access = "rwm";
  linux_config.resources.devices = {deny_all};
  // runc adds the cgroup namespace only on a cgroup v2 host; berth always does.
  for (const char* type : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
    linux_config.namespaces.push_back({type, ""});
  }
  return spec;
}

// runc's ToRootless.
void MakeRootless(Spec& spec) {
  Linux& linux_config = spec.linux_config;
  std::vector<Namespace> namespaces;
  for (const Namespace& ns : linux_config.namespaces) {
    if (ns.type != "network" && ns.type != "user") namespaces.push_back(ns);
  }
  namespaces.push_back({"user", ""});
  linux_config.namespaces = std::move(namespaces);
  linux_config.uid_mappings = {{.container_id = 0, .host_id = ::geteuid(), .size = 1}};
  linux_config.gid_mappings = {{.container_id = 0, .host_id = ::getegid(), .size = 1}};
  for (Mount& mount : spec.mounts) {
    if (mount.destination == "/sys") {
      mount = {"/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}};
      continue;
    }
    std::erase_if(mount.options, [](const std::string& option) {
      return absl::StartsWith(option, "gid=") || absl::StartsWith(option, "uid=");
    });
  }
  linux_config.resources = {};
}

}  // namespace

Spec DefaultSpec(bool rootless) {
  Spec spec = RootfulSpec();
  if (rootless) MakeRootless(spec);
  return spec;
}

}  // namespace berth::oci
