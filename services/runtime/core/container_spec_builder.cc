#include "services/runtime/core/container_spec_builder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/clean_path.h"
#include "common/in_root.h"
#include "common/status_macros.h"
#include "services/runtime/core/spec_resources.h"
#include "services/runtime/core/spec_security.h"
#include "services/runtime/core/user_lookup.h"
#include "shim/oci/spec_validate.h"

namespace berth::runtime {
namespace {

constexpr absl::string_view kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr int64_t kDefaultShmBytes = 64 * 1024 * 1024;
constexpr size_t kShortIdLength = 12;

// Docker's masked and read-only /proc and /sys paths (moby oci/defaults.go).
const std::vector<std::string>& DockerMaskedPaths() {
  static const auto* paths = new std::vector<std::string>{"/proc/asound",
                                                          "/proc/acpi",
                                                          "/proc/kcore",
                                                          "/proc/keys",
                                                          "/proc/latency_stats",
                                                          "/proc/timer_list",
                                                          "/proc/timer_stats",
                                                          "/proc/sched_debug",
                                                          "/proc/scsi",
                                                          "/sys/firmware",
                                                          "/sys/devices/virtual/powercap"};
  return *paths;
}
const std::vector<std::string>& DockerReadonlyPaths() {
  static const auto* paths = new std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq",
                                                          "/proc/sys", "/proc/sysrq-trigger"};
  return *paths;
}

absl::string_view EnvKey(absl::string_view entry) { return entry.substr(0, entry.find('=')); }

// --entrypoint replaces the image's entrypoint and drops its cmd; --cmd replaces the cmd.
absl::StatusOr<std::vector<std::string>> ProcessArgs(const ImageRuntimeConfig& image,
                                                     const ContainerOptions& options) {
  std::vector<std::string> args = options.entrypoint.value_or(image.entrypoint);
  if (options.cmd.has_value()) {
    args.insert(args.end(), options.cmd->begin(), options.cmd->end());
  } else if (!options.entrypoint.has_value()) {
    args.insert(args.end(), image.cmd.begin(), image.cmd.end());
  }
  if (args.empty()) return absl::InvalidArgumentError("No command specified");
  if (!options.init_path.empty()) args.insert(args.begin(), {kContainerInitPath, "--"});
  return args;
}

// Docker's order: PATH, HOSTNAME, TERM (with a tty), each replaced in place by the
// container's env; the container's env is the user's, then the image's keys not given.
// A bare "KEY" (no '=') from the user unsets it.
std::vector<std::string> ProcessEnv(const ImageRuntimeConfig& image,
                                    const ContainerOptions& options, absl::string_view hostname) {
  std::vector<std::string> merged = options.env;
  for (const std::string& entry : image.env) {
    bool overridden = std::any_of(options.env.begin(), options.env.end(),
                                  [&](const auto& e) { return EnvKey(e) == EnvKey(entry); });
    if (!overridden) merged.push_back(entry);
  }
  std::vector<std::string> env = {std::string(kDefaultPath), absl::StrCat("HOSTNAME=", hostname)};
  if (options.tty) env.push_back("TERM=xterm");
  for (const std::string& entry : merged) {
    absl::string_view key = EnvKey(entry);
    auto same_key = [&](const std::string& e) { return EnvKey(e) == key; };
    if (entry.find('=') == std::string::npos) {
      std::erase_if(env, same_key);
      continue;
    }
    auto it = std::find_if(env.begin(), env.end(), same_key);
    if (it != env.end()) {
      *it = entry;
    } else {
      env.push_back(entry);
    }
  }
  return env;
}

absl::StatusOr<std::string> WorkingDir(const ImageRuntimeConfig& image,
                                       const ContainerOptions& options) {
  std::string dir = !options.working_dir.empty() ? options.working_dir : image.working_dir;
  if (dir.empty()) return std::string("/");
  if (dir.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "the working directory '", dir, "' is invalid, it needs to be an absolute path"));
  }
  return CleanAbsolutePath(dir);
}

// Options of a --tmpfs mount: noexec,nosuid,nodev unless the user's say otherwise; a
// later flag replaces its opposite and a later key=value its key.
std::vector<std::string> TmpfsOptions(absl::string_view user_options) {
  static const std::pair<const char*, const char*> kOpposites[] = {
      {"exec", "noexec"}, {"suid", "nosuid"},   {"dev", "nodev"},
      {"rw", "ro"},       {"atime", "noatime"}, {"diratime", "nodiratime"}};
  std::vector<std::string> out = {"noexec", "nosuid", "nodev"};
  for (absl::string_view option : absl::StrSplit(user_options, ',', absl::SkipEmpty())) {
    std::string opt(option);
    size_t eq = opt.find('=');
    std::vector<std::string> replaces = {opt};
    if (eq != std::string::npos) {
      std::string key = opt.substr(0, eq + 1);
      std::erase_if(out, [&](const std::string& o) { return absl::StartsWith(o, key); });
    }
    for (const auto& [a, b] : kOpposites) {
      if (opt == a) replaces.push_back(b);
      if (opt == b) replaces.push_back(a);
    }
    std::erase_if(out, [&](const std::string& o) {
      return std::find(replaces.begin(), replaces.end(), o) != replaces.end();
    });
    out.push_back(opt);
  }
  return out;
}

// Docker's default mounts, then --tmpfs, the given mounts and the /etc files. A user
// mount replaces a default at the same place (a user /dev replaces all of /dev/*), and
// a later user mount an earlier one.
absl::StatusOr<std::vector<oci::Mount>> ContainerMounts(const ContainerOptions& options,
                                                        const BuildContext& ctx, bool privileged) {
  const char* sys_mode = privileged ? "rw" : "ro";
  int64_t shm_bytes = options.shm_size_bytes > 0 ? options.shm_size_bytes : kDefaultShmBytes;
  if (options.shm_size_bytes < 0) {
    return absl::InvalidArgumentError("SHM size can not be less than 0");
  }
  oci::Mount shm = {"/dev/shm",
                    "tmpfs",
                    "shm",
                    {"nosuid", "noexec", "nodev", "mode=1777", absl::StrCat("size=", shm_bytes)}};
  if (options.ipc_mode == "host")
    shm = {"/dev/shm", "bind", "/dev/shm", {"rbind", "nosuid", "noexec", "nodev"}};
  std::vector<oci::Mount> defaults = {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", sys_mode}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {sys_mode, "nosuid", "noexec", "nodev"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      shm,
  };

  std::vector<oci::Mount> user;
  for (const auto& [destination, tmpfs_options] : options.tmpfs) {
    user.push_back({destination, "tmpfs", "tmpfs", TmpfsOptions(tmpfs_options)});
  }
  for (const MountSpec& m : options.mounts) {
    user.push_back({m.destination, m.type, m.source, m.options});
  }
  for (oci::Mount& m : user) {
    if (m.destination.empty() || m.destination.front() != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid mount destination \"", m.destination, "\": must be absolute"));
    }
    m.destination = CleanAbsolutePath(m.destination);
  }
  auto user_mounts = [&](absl::string_view destination) {
    return std::any_of(user.begin(), user.end(),
                       [&](const oci::Mount& m) { return m.destination == destination; });
  };

  std::vector<oci::Mount> mounts;
  bool user_dev = user_mounts("/dev");
  for (oci::Mount& m : defaults) {
    if (user_mounts(m.destination)) continue;
    if (user_dev && absl::StartsWith(m.destination, "/dev/")) continue;
    mounts.push_back(std::move(m));
  }
  for (size_t i = 0; i < user.size(); ++i) {
    bool replaced_later = std::any_of(user.begin() + i + 1, user.end(), [&](const oci::Mount& m) {
      return m.destination == user[i].destination;
    });
    if (!replaced_later) mounts.push_back(user[i]);
  }
  const char* etc_mode = options.security.read_only_rootfs ? "ro" : "rw";
  for (const auto& [source, destination] :
       {std::pair{ctx.resolv_conf_path, "/etc/resolv.conf"},
        std::pair{ctx.hostname_path, "/etc/hostname"}, std::pair{ctx.hosts_path, "/etc/hosts"}}) {
    if (source.empty() || user_mounts(destination)) continue;
    mounts.push_back({destination, "bind", source, {"rbind", "rprivate", etc_mode}});
  }
  if (!options.init_path.empty()) {
    mounts.push_back({kContainerInitPath, "bind", options.init_path, {"bind", "ro"}});
  }
  return mounts;
}

// mount, network, uts, pid, ipc (and cgroup), minus the host's, joining where told.
absl::StatusOr<std::vector<oci::Namespace>> ContainerNamespaces(const ContainerOptions& options,
                                                                const BuildContext& ctx) {
  std::vector<oci::Namespace> namespaces;
  auto add = [&](const std::string& type, absl::string_view mode) -> absl::Status {
    auto join = options.join_namespaces.find(type);
    if (mode == "host") {
      if (join != options.join_namespaces.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("the ", type, " namespace cannot be both the host's and joined"));
      }
      return absl::OkStatus();
    }
    if (!mode.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ", type, " mode \"", mode, "\": must be \"\" or \"host\""));
    }
    namespaces.push_back({type, join != options.join_namespaces.end() ? join->second : ""});
    return absl::OkStatus();
  };
  BERTH_RETURN_IF_ERROR(add("mount", ""));
  if (options.network_namespace_path != "host") {
    namespaces.push_back({"network", options.network_namespace_path});
  }
  BERTH_RETURN_IF_ERROR(add("uts", options.uts_mode));
  BERTH_RETURN_IF_ERROR(add("pid", options.pid_mode));
  BERTH_RETURN_IF_ERROR(add("ipc", options.ipc_mode));
  auto cgroup_join = options.join_namespaces.find("cgroup");
  if (ctx.private_cgroupns || cgroup_join != options.join_namespaces.end()) {
    namespaces.push_back(
        {"cgroup", cgroup_join != options.join_namespaces.end() ? cgroup_join->second : ""});
  }
  for (const auto& [type, path] : options.join_namespaces) {
    if (type != "mount" && type != "uts" && type != "pid" && type != "ipc" && type != "cgroup") {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot join a \"", type, "\" namespace by path here"));
    }
  }
  return namespaces;
}

std::string Hostname(const ContainerOptions& options, const BuildContext& ctx) {
  if (options.uts_mode == "host") {
    char name[256] = {};
    if (::gethostname(name, sizeof(name) - 1) == 0) return name;
  }
  if (!options.hostname.empty()) return options.hostname;
  if (!ctx.hostname.empty()) return ctx.hostname;
  return ctx.container_id.substr(0, kShortIdLength);
}

absl::Status BuildProcess(const ImageRuntimeConfig& image, const ContainerOptions& options,
                          const BuildContext& ctx, const std::vector<std::string>& caps,
                          const SecuritySettings& security, oci::Process& process) {
  process.terminal = options.tty;
  BERTH_ASSIGN_OR_RETURN(process.args, ProcessArgs(image, options));
  process.env = ProcessEnv(image, options, Hostname(options, ctx));
  BERTH_ASSIGN_OR_RETURN(process.cwd, WorkingDir(image, options));
  BERTH_ASSIGN_OR_RETURN(UniqueFd rootfs, OpenRoot(ctx.rootfs_path));
  const std::string& user = !options.user.empty() ? options.user : image.user;
  BERTH_ASSIGN_OR_RETURN(process.user, ResolveUser(rootfs.get(), user, options.security.group_add));
  // Docker ≥ 20.10: no inheritable or ambient capabilities, so exec'd programs without
  // file capabilities do not keep them once the user is not root.
  process.capabilities.bounding = caps;
  process.capabilities.effective = caps;
  process.capabilities.permitted = caps;
  BERTH_ASSIGN_OR_RETURN(process.rlimits, UlimitsToRlimits(options.resources.ulimits));
  process.no_new_privileges = security.no_new_privileges;
  int32_t adj = options.resources.oom_score_adj;
  if (adj < -1000 || adj > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid value ", adj, ", range for oom score adj is [-1000, 1000]"));
  }
  process.oom_score_adj = adj;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<oci::Spec> BuildContainerSpec(const ImageRuntimeConfig& image,
                                             const ContainerOptions& options,
                                             const BuildContext& ctx) {
  const SecurityOptions& sec = options.security;
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> caps, ContainerCapabilities(sec));
  BERTH_ASSIGN_OR_RETURN(SecuritySettings security, ParseSecuritySettings(sec));

  oci::Spec spec;
  spec.oci_version = std::string(oci::kOciVersion);
  BERTH_RETURN_IF_ERROR(BuildProcess(image, options, ctx, caps, security, spec.process.emplace()));
  spec.root = {.path = "rootfs", .readonly = sec.read_only_rootfs};
  if (options.uts_mode != "host") {
    spec.hostname = Hostname(options, ctx);
    spec.domainname = options.domainname;
  }
  BERTH_ASSIGN_OR_RETURN(spec.mounts, ContainerMounts(options, ctx, sec.privileged));
  spec.annotations = options.annotations;

  oci::Linux& linux_config = spec.linux_config;
  BERTH_ASSIGN_OR_RETURN(linux_config.namespaces, ContainerNamespaces(options, ctx));
  linux_config.cgroups_path =
      !options.cgroups_path.empty() ? options.cgroups_path : ctx.cgroups_path;
  BERTH_RETURN_IF_ERROR(ApplyResourceLimits(options.resources, linux_config.resources));
  BERTH_RETURN_IF_ERROR(ApplyDevices(options.resources, sec.privileged, spec));

  bool host_network = options.network_namespace_path == "host";
  BERTH_RETURN_IF_ERROR(ValidateSysctls(options.sysctls, host_network, options.ipc_mode == "host"));
  if (options.network_namespace_path.empty()) {
    // Docker ≥ 20.10 lets a container's users ping and bind low ports in its own netns.
    linux_config.sysctl["net.ipv4.ip_unprivileged_port_start"] = "0";
    linux_config.sysctl["net.ipv4.ping_group_range"] = "0 2147483647";
  }
  for (const auto& [key, value] : options.sysctls) linux_config.sysctl[key] = value;

  BERTH_ASSIGN_OR_RETURN(linux_config.seccomp, ContainerSeccomp(security, sec.privileged, caps));
  if (!sec.privileged && !security.system_paths_unconfined) {
    linux_config.masked_paths = sec.masked_paths.value_or(DockerMaskedPaths());
    linux_config.readonly_paths = sec.readonly_paths.value_or(DockerReadonlyPaths());
  }
  BERTH_RETURN_IF_ERROR(oci::ValidateSpec(spec));
  return spec;
}

}  // namespace berth::runtime
