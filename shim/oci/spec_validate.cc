#include "shim/oci/spec_validate.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "common/status_macros.h"
#include "shim/oci/capabilities.h"
#include "shim/oci/mount_options.h"
#include "shim/oci/spec_json.h"

namespace berth::oci {
namespace {

using Names = absl::Span<const absl::string_view>;

constexpr absl::string_view kNamespaceTypes[] = {"pid", "network", "mount",  "ipc",
                                                 "uts", "user",    "cgroup", "time"};
constexpr absl::string_view kRlimits[] = {
    "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
    "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
    "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};
constexpr absl::string_view kPropagations[] = {"shared",  "slave",  "private",  "unbindable",
                                               "rshared", "rslave", "rprivate", "runbindable"};
constexpr absl::string_view kSeccompActions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
constexpr absl::string_view kSeccompOps[] = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                             "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                             "SCMP_CMP_MASKED_EQ"};
// The runtime-spec's list plus the other architectures libseccomp knows.
constexpr absl::string_view kSeccompArches[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB"};
constexpr absl::string_view kSeccompFlags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
constexpr absl::string_view kDeviceTypes[] = {"c", "b", "u", "p"};
constexpr absl::string_view kDeviceRuleTypes[] = {"a", "c", "b"};
constexpr absl::string_view kPersonalityDomains[] = {"LINUX", "LINUX32"};
constexpr absl::string_view kTimeClocks[] = {"monotonic", "boottime"};
// Sysctls isolated by the IPC namespace (besides fs.mqueue.*), as runc lists them.
constexpr absl::string_view kIpcSysctls[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};

bool OneOf(absl::string_view value, Names names) {
  for (absl::string_view n : names) {
    if (n == value) return true;
  }
  return false;
}

absl::Status CheckEnum(absl::string_view value, Names names, absl::string_view what,
                       const std::string& path) {
  if (OneOf(value, names)) return absl::OkStatus();
  return JsonError(path, absl::StrCat("unknown ", what, " \"", value, "\""));
}

absl::Status CheckAbsolute(absl::string_view value, const std::string& path,
                           absl::string_view note = "") {
  if (absl::StartsWith(value, "/")) return absl::OkStatus();
  return JsonError(path, absl::StrCat("must be an absolute path, got \"", value, "\"", note));
}

absl::Status CheckId(uint32_t id, const std::string& path) {
  if (id <= kMaxId) return absl::OkStatus();
  return IntegerRangeError(path, 0, kMaxId, absl::StrCat(id));
}

absl::Status CheckProcess(const Process& p) {
  if (p.args.empty()) return JsonError("process.args", "must name the program to run");
  BERTH_RETURN_IF_ERROR(CheckAbsolute(p.cwd, "process.cwd"));
  BERTH_RETURN_IF_ERROR(CheckId(p.user.uid, "process.user.uid"));
  BERTH_RETURN_IF_ERROR(CheckId(p.user.gid, "process.user.gid"));
  for (size_t i = 0; i < p.user.additional_gids.size(); ++i) {
    BERTH_RETURN_IF_ERROR(
        CheckId(p.user.additional_gids[i], JsonIndex("process.user.additionalGids", i)));
  }
  if (p.user.umask.has_value() && *p.user.umask > 0777) {
    return IntegerRangeError("process.user.umask", 0, 0777, absl::StrCat(*p.user.umask));
  }
  const std::pair<absl::string_view, const std::vector<std::string>*> sets[] = {
      {"bounding", &p.capabilities.bounding},
      {"effective", &p.capabilities.effective},
      {"inheritable", &p.capabilities.inheritable},
      {"permitted", &p.capabilities.permitted},
      {"ambient", &p.capabilities.ambient}};
  for (const auto& [set, names] : sets) {
    for (size_t i = 0; i < names->size(); ++i) {
      if (!CapabilityNumber((*names)[i]).ok()) {
        return JsonError(JsonIndex(absl::StrCat("process.capabilities.", set), i),
                         absl::StrCat("unknown capability \"", (*names)[i], "\""));
      }
    }
  }
  std::set<std::string> rlimits;
  for (size_t i = 0; i < p.rlimits.size(); ++i) {
    std::string at = JsonIndex("process.rlimits", i);
    const Rlimit& r = p.rlimits[i];
    BERTH_RETURN_IF_ERROR(CheckEnum(r.type, kRlimits, "rlimit", at + ".type"));
    if (!rlimits.insert(r.type).second) {
      return JsonError(at + ".type", absl::StrCat("duplicate rlimit \"", r.type, "\""));
    }
    if (r.soft > r.hard) {
      return JsonError(at, absl::StrCat("soft limit ", r.soft, " is above hard limit ", r.hard));
    }
  }
  if (p.oom_score_adj.has_value() && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000)) {
    return IntegerRangeError("process.oomScoreAdj", -1000, 1000, absl::StrCat(*p.oom_score_adj));
  }
  return absl::OkStatus();
}

absl::Status CheckHooks(const Hooks& hooks) {
  const std::pair<absl::string_view, const std::vector<Hook>*> lists[] = {
      {"prestart", &hooks.prestart},
      {"createRuntime", &hooks.create_runtime},
      {"createContainer", &hooks.create_container},
      {"startContainer", &hooks.start_container},
      {"poststart", &hooks.poststart},
      {"poststop", &hooks.poststop}};
  for (const auto& [name, list] : lists) {
    for (size_t i = 0; i < list->size(); ++i) {
      std::string at = JsonIndex(absl::StrCat("hooks.", name), i);
      const Hook& hook = (*list)[i];
      BERTH_RETURN_IF_ERROR(CheckAbsolute(hook.path, at + ".path"));
      if (hook.timeout.has_value() && *hook.timeout <= 0) {
        return JsonError(at + ".timeout",
                         absl::StrCat("must be greater than zero, got ", *hook.timeout));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMappings(const std::vector<IdMapping>& mappings, absl::string_view name) {
  for (size_t i = 0; i < mappings.size(); ++i) {
    std::string at = JsonIndex(absl::StrCat("linux.", name), i);
    const IdMapping& m = mappings[i];
    BERTH_RETURN_IF_ERROR(CheckId(m.container_id, at + ".containerID"));
    BERTH_RETURN_IF_ERROR(CheckId(m.host_id, at + ".hostID"));
    // The kernel's ranges end below 2^32-1, which is (uid_t)-1.
    if (m.size == 0 || uint64_t{m.host_id} + m.size > 0xffffffffu ||
        uint64_t{m.container_id} + m.size > 0xffffffffu) {
      return IntegerRangeError(at + ".size", 1, 0xffffffffu - std::max(m.host_id, m.container_id),
                               absl::StrCat(m.size));
    }
  }
  return absl::OkStatus();
}

// Namespaces by type → index in linux.namespaces.
absl::StatusOr<std::map<std::string, size_t>> CheckNamespaces(const Linux& lx) {
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < lx.namespaces.size(); ++i) {
    std::string at = JsonIndex("linux.namespaces", i);
    const Namespace& ns = lx.namespaces[i];
    BERTH_RETURN_IF_ERROR(CheckEnum(ns.type, kNamespaceTypes, "namespace", at + ".type"));
    auto [it, added] = seen.emplace(ns.type, i);
    if (!added) {
      return JsonError(at + ".type", absl::StrCat("duplicate namespace \"", ns.type,
                                                  "\" (also linux.namespaces[", it->second, "])"));
    }
    if (!ns.path.empty()) BERTH_RETURN_IF_ERROR(CheckAbsolute(ns.path, at + ".path"));
  }
  bool mapped = !lx.uid_mappings.empty() || !lx.gid_mappings.empty();
  absl::string_view mapping_field =
      lx.uid_mappings.empty() ? "linux.gidMappings" : "linux.uidMappings";
  auto user = seen.find("user");
  if (user == seen.end()) {
    if (mapped) {
      return JsonError(mapping_field,
                       "id mappings are given but linux.namespaces has no user namespace");
    }
  } else if (!lx.namespaces[user->second].path.empty()) {
    if (mapped) {
      return JsonError(mapping_field,
                       absl::StrCat("must be empty when joining the user namespace at "
                                    "linux.namespaces[",
                                    user->second, "].path"));
    }
  } else if (lx.uid_mappings.empty() || lx.gid_mappings.empty()) {
    return JsonError(lx.uid_mappings.empty() ? "linux.uidMappings" : "linux.gidMappings",
                     "a new user namespace needs both uidMappings and gidMappings");
  }
  BERTH_RETURN_IF_ERROR(CheckMappings(lx.uid_mappings, "uidMappings"));
  BERTH_RETURN_IF_ERROR(CheckMappings(lx.gid_mappings, "gidMappings"));
  return seen;
}

absl::Status CheckSysctl(const std::map<std::string, std::string>& sysctl,
                         const std::map<std::string, size_t>& namespaces) {
  for (const auto& [name, value] : sysctl) {
    absl::string_view needs;
    if (OneOf(name, kIpcSysctls) || absl::StartsWith(name, "fs.mqueue.")) {
      needs = "ipc";
    } else if (absl::StartsWith(name, "net.")) {
      needs = "network";
    } else if (name == "kernel.hostname" || name == "kernel.domainname") {
      needs = "uts";
    } else {
      return JsonError(JsonMapKey("linux.sysctl", name),
                       "is not isolated by any namespace; setting it would change the host");
    }
    if (!namespaces.contains(std::string(needs))) {
      return JsonError(JsonMapKey("linux.sysctl", name),
                       absl::StrCat("needs a ", needs, " namespace in linux.namespaces"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDevices(const Linux& lx) {
  for (size_t i = 0; i < lx.devices.size(); ++i) {
    std::string at = JsonIndex("linux.devices", i);
    const Device& d = lx.devices[i];
    BERTH_RETURN_IF_ERROR(CheckEnum(d.type, kDeviceTypes, "device type", at + ".type"));
    BERTH_RETURN_IF_ERROR(CheckAbsolute(d.path, at + ".path"));
    if (d.file_mode.has_value() && *d.file_mode > 07777) {
      return IntegerRangeError(at + ".fileMode", 0, 07777, absl::StrCat(*d.file_mode));
    }
    if (d.uid.has_value()) BERTH_RETURN_IF_ERROR(CheckId(*d.uid, at + ".uid"));
    if (d.gid.has_value()) BERTH_RETURN_IF_ERROR(CheckId(*d.gid, at + ".gid"));
  }
  const Resources& r = lx.resources;
  for (size_t i = 0; i < r.devices.size(); ++i) {
    std::string at = JsonIndex("linux.resources.devices", i);
    const DeviceRule& rule = r.devices[i];
    if (!rule.type.empty()) {
      BERTH_RETURN_IF_ERROR(CheckEnum(rule.type, kDeviceRuleTypes, "device type", at + ".type"));
    }
    if (rule.access.find_first_not_of("rwm") != std::string::npos) {
      return JsonError(at + ".access",
                       absl::StrCat("must be made of r, w and m, got \"", rule.access, "\""));
    }
  }
  if (r.memory.swappiness.has_value() && *r.memory.swappiness > 100) {
    return IntegerRangeError("linux.resources.memory.swappiness", 0, 100,
                             absl::StrCat(*r.memory.swappiness));
  }
  return absl::OkStatus();
}

absl::Status CheckSeccomp(const Seccomp& s) {
  auto check_errno = [](absl::string_view action, const std::optional<uint32_t>& errno_ret,
                        const std::string& at) {
    if (errno_ret.has_value() && action != "SCMP_ACT_ERRNO" && action != "SCMP_ACT_TRACE") {
      return JsonError(
          at, absl::StrCat("applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not ", action));
    }
    return absl::OkStatus();
  };
  BERTH_RETURN_IF_ERROR(CheckEnum(s.default_action, kSeccompActions, "seccomp action",
                                  "linux.seccomp.defaultAction"));
  if (s.default_action == "SCMP_ACT_NOTIFY") {
    return JsonError("linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY cannot be the default");
  }
  BERTH_RETURN_IF_ERROR(
      check_errno(s.default_action, s.default_errno_ret, "linux.seccomp.defaultErrnoRet"));
  for (size_t i = 0; i < s.architectures.size(); ++i) {
    BERTH_RETURN_IF_ERROR(CheckEnum(s.architectures[i], kSeccompArches, "seccomp architecture",
                                    JsonIndex("linux.seccomp.architectures", i)));
  }
  for (size_t i = 0; i < s.flags.size(); ++i) {
    BERTH_RETURN_IF_ERROR(
        CheckEnum(s.flags[i], kSeccompFlags, "seccomp flag", JsonIndex("linux.seccomp.flags", i)));
  }
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    std::string at = JsonIndex("linux.seccomp.syscalls", i);
    const Syscall& sc = s.syscalls[i];
    if (sc.names.empty()) return JsonError(at + ".names", "must name at least one syscall");
    BERTH_RETURN_IF_ERROR(CheckEnum(sc.action, kSeccompActions, "seccomp action", at + ".action"));
    if (sc.action == "SCMP_ACT_NOTIFY" && s.listener_path.empty()) {
      return JsonError(at + ".action", "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
    }
    BERTH_RETURN_IF_ERROR(check_errno(sc.action, sc.errno_ret, at + ".errnoRet"));
    for (size_t j = 0; j < sc.args.size(); ++j) {
      std::string arg_at = JsonIndex(at + ".args", j);
      if (sc.args[j].index > 5) {
        return IntegerRangeError(arg_at + ".index", 0, 5, absl::StrCat(sc.args[j].index));
      }
      BERTH_RETURN_IF_ERROR(
          CheckEnum(sc.args[j].op, kSeccompOps, "seccomp operator", arg_at + ".op"));
    }
  }
  if (!s.listener_path.empty()) {
    BERTH_RETURN_IF_ERROR(CheckAbsolute(s.listener_path, "linux.seccomp.listenerPath"));
  }
  return absl::OkStatus();
}

absl::Status CheckLinux(const Spec& spec) {
  const Linux& lx = spec.linux_config;
  BERTH_ASSIGN_OR_RETURN(auto namespaces, CheckNamespaces(lx));
  if ((!spec.hostname.empty() || !spec.domainname.empty()) && !namespaces.contains("uts")) {
    return JsonError(spec.hostname.empty() ? "domainname" : "hostname",
                     "needs a uts namespace in linux.namespaces (else it renames the host)");
  }
  BERTH_RETURN_IF_ERROR(CheckSysctl(lx.sysctl, namespaces));
  BERTH_RETURN_IF_ERROR(CheckDevices(lx));
  for (absl::string_view part : absl::StrSplit(lx.cgroups_path, absl::ByAnyChar("/:"))) {
    if (part == "..") return JsonError("linux.cgroupsPath", "must not contain \"..\"");
  }
  if (!lx.rootfs_propagation.empty()) {
    BERTH_RETURN_IF_ERROR(CheckEnum(lx.rootfs_propagation, kPropagations, "rootfs propagation",
                                    "linux.rootfsPropagation"));
  }
  for (size_t i = 0; i < lx.masked_paths.size(); ++i) {
    BERTH_RETURN_IF_ERROR(CheckAbsolute(lx.masked_paths[i], JsonIndex("linux.maskedPaths", i)));
  }
  for (size_t i = 0; i < lx.readonly_paths.size(); ++i) {
    BERTH_RETURN_IF_ERROR(CheckAbsolute(lx.readonly_paths[i], JsonIndex("linux.readonlyPaths", i)));
  }
  if (lx.seccomp.has_value()) BERTH_RETURN_IF_ERROR(CheckSeccomp(*lx.seccomp));
  if (lx.personality.has_value()) {
    BERTH_RETURN_IF_ERROR(CheckEnum(lx.personality->domain, kPersonalityDomains,
                                    "personality domain", "linux.personality.domain"));
    if (!lx.personality->flags.empty()) {
      // The runtime-spec defines no personality flags yet.
      return JsonError("linux.personality.flags[0]",
                       absl::StrCat("unknown personality flag \"", lx.personality->flags[0], "\""));
    }
  }
  if (!lx.time_offsets.empty()) {
    auto time = namespaces.find("time");
    if (time == namespaces.end() || !lx.namespaces[time->second].path.empty()) {
      return JsonError("linux.timeOffsets", "needs a new time namespace in linux.namespaces");
    }
  }
  for (const auto& [clock, offset] : lx.time_offsets) {
    std::string at = JsonMapKey("linux.timeOffsets", clock);
    BERTH_RETURN_IF_ERROR(CheckEnum(clock, kTimeClocks, "clock", at));
    if (offset.nanosecs >= 1000000000) {
      return IntegerRangeError(at + ".nanosecs", 0, 999999999, absl::StrCat(offset.nanosecs));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSpec(const Spec& spec) {
  if (spec.oci_version.empty()) return JsonError("ociVersion", "is required");
  if (spec.root.path.empty()) return JsonError("root.path", "is required");
  if (spec.process.has_value()) BERTH_RETURN_IF_ERROR(CheckProcess(*spec.process));
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    std::string at = JsonIndex("mounts", i);
    BERTH_RETURN_IF_ERROR(
        CheckAbsolute(spec.mounts[i].destination, at + ".destination",
                      " (relative destinations, which runc accepts from old specs, are not)"));
    absl::StatusOr<MountFlags> flags = ParseMountOptions(spec.mounts[i].options);
    if (!flags.ok()) {
      return absl::Status(flags.status().code(),
                          absl::StrCat(at, ".options: ", flags.status().message()));
    }
  }
  BERTH_RETURN_IF_ERROR(CheckHooks(spec.hooks));
  return CheckLinux(spec);
}

}  // namespace berth::oci
