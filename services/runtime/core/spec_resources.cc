#include "services/runtime/core/spec_resources.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace berth::runtime {
namespace {

constexpr int64_t kMinMemory = 6 * 1024 * 1024;  // Docker's smallest -m
constexpr uint64_t kCpuPeriodUs = 100000;        // the period --cpus is expressed over
constexpr int64_t kNanoPerSecond = 1000000000;

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

oci::DeviceRule Allow(const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                      const char* access = "rwm") {
  return {.allow = true, .type = type, .major = major, .minor = minor, .access = access};
}

oci::DeviceRule Deny(const char* access) {
  oci::DeviceRule rule;
  rule.access = access;
  return rule;
}

bool IsAccess(absl::string_view access) {
  return !access.empty() && access.find_first_not_of("rwm") == absl::string_view::npos;
}

// "c 1:3 mr", "b *:* m", "a" → a rule; Docker's --device-cgroup-rule format.
absl::StatusOr<oci::DeviceRule> ParseDeviceCgroupRule(const std::string& text) {
  absl::Status bad = Invalid(absl::StrCat("invalid device cgroup rule format: '", text, "'"));
  std::vector<absl::string_view> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (parts.empty() || (parts[0] != "a" && parts[0] != "b" && parts[0] != "c")) return bad;
  oci::DeviceRule rule;
  rule.allow = true;
  rule.type = std::string(parts[0]);
  rule.access = "rwm";
  if (parts[0] == "a" && parts.size() == 1) return rule;
  if (parts.size() != 3 || !IsAccess(parts[2])) return bad;
  std::vector<absl::string_view> numbers = absl::StrSplit(parts[1], ':');
  if (numbers.size() != 2) return bad;
  std::optional<int64_t>* fields[] = {&rule.major, &rule.minor};
  for (int i = 0; i < 2; ++i) {
    if (numbers[i] == "*") continue;
    int64_t n = 0;
    if (!absl::SimpleAtoi(numbers[i], &n) || n < 0) return bad;
    *fields[i] = n;
  }
  rule.access = std::string(parts[2]);
  return rule;
}

// A --device: the host node's type and numbers, put at the container path.
absl::Status AddDeviceMapping(const DeviceMapping& mapping, oci::Spec& spec) {
  struct stat st = {};
  if (::stat(mapping.path_on_host.c_str(), &st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("error gathering device information while "
                                                   "adding custom device \"",
                                                   mapping.path_on_host, "\""));
  }
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
    return Invalid(absl::StrCat("\"", mapping.path_on_host, "\" is not a device node"));
  }
  std::string perms = mapping.cgroup_permissions.empty() ? "rwm" : mapping.cgroup_permissions;
  if (!IsAccess(perms)) {
    return Invalid(
        absl::StrCat("invalid device permissions \"", perms, "\" for ", mapping.path_on_host));
  }
  std::string type = S_ISCHR(st.st_mode) ? "c" : "b";
  int64_t dev_major = major(st.st_rdev);
  int64_t dev_minor = minor(st.st_rdev);
  spec.linux_config.devices.push_back({
      .type = type,
      .path = mapping.path_in_container.empty() ? mapping.path_on_host : mapping.path_in_container,
      .major = dev_major,
      .minor = dev_minor,
      .file_mode = st.st_mode & 07777,
      .uid = 0,
      .gid = 0,
  });
  spec.linux_config.resources.devices.push_back(
      {.allow = true, .type = type, .major = dev_major, .minor = dev_minor, .access = perms});
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyResourceLimits(const ContainerResources& r, oci::Resources& out) {
  if (r.memory_bytes < 0 || r.memory_reservation_bytes < 0) {
    return Invalid("memory limits cannot be negative");
  }
  if (r.memory_bytes > 0 && r.memory_bytes < kMinMemory) {
    return Invalid("Minimum memory limit allowed is 6MB");
  }
  if (r.memory_bytes > 0) out.memory.limit = r.memory_bytes;
  if (r.memory_swap_bytes != 0 && r.memory_bytes == 0) {
    return Invalid("You should always set the Memory limit when using Memoryswap limit, see usage");
  }
  if (r.memory_swap_bytes == -1) {
    out.memory.swap = -1;
  } else if (r.memory_swap_bytes > 0) {
    if (r.memory_swap_bytes < r.memory_bytes) {
      return Invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    }
    out.memory.swap = r.memory_swap_bytes;
  } else if (r.memory_swap_bytes < -1) {
    return Invalid("invalid memory swap limit");
  } else if (r.memory_bytes > 0) {
    out.memory.swap = 2 * r.memory_bytes;
  }
  if (r.memory_reservation_bytes > 0) {
    if (r.memory_bytes > 0 && r.memory_reservation_bytes > r.memory_bytes) {
      return Invalid(
          "Minimum memory limit can not be less than memory reservation limit, see usage");
    }
    out.memory.reservation = r.memory_reservation_bytes;
  }
  if (r.memory_swappiness.has_value() && *r.memory_swappiness != -1) {
    if (*r.memory_swappiness < 0 || *r.memory_swappiness > 100) {
      return Invalid(absl::StrCat("Invalid value: ", *r.memory_swappiness,
                                  ", valid memory swappiness range is 0-100"));
    }
    out.memory.swappiness = static_cast<uint64_t>(*r.memory_swappiness);
  }
  if (r.oom_kill_disable) out.memory.disable_oom_killer = true;

  if (r.nano_cpus < 0 || r.cpu_period_us < 0 || r.cpu_shares < 0) {
    return Invalid("CPU limits cannot be negative");
  }
  if (r.nano_cpus > 0 && r.cpu_period_us > 0) {
    return Invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  }
  if (r.nano_cpus > 0 && r.cpu_quota_us > 0) {
    return Invalid("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  }
  if (r.nano_cpus > 0) {
    out.cpu.period = kCpuPeriodUs;
    out.cpu.quota = r.nano_cpus * static_cast<int64_t>(kCpuPeriodUs) / kNanoPerSecond;
  }
  if (r.cpu_period_us > 0) out.cpu.period = static_cast<uint64_t>(r.cpu_period_us);
  if (r.cpu_quota_us != 0) out.cpu.quota = r.cpu_quota_us;
  if (r.cpu_shares > 0) out.cpu.shares = static_cast<uint64_t>(r.cpu_shares);
  out.cpu.cpus = r.cpuset_cpus;
  out.cpu.mems = r.cpuset_mems;

  if (r.pids_limit > 0) out.pids.limit = r.pids_limit;
  if (r.blkio_weight != 0) {
    if (r.blkio_weight < 10 || r.blkio_weight > 1000) {
      return Invalid("Range of blkio weight is from 10 to 1000");
    }
    out.block_io.weight = static_cast<uint16_t>(r.blkio_weight);
  }
  return absl::OkStatus();
}

absl::Status ApplyDevices(const ContainerResources& resources, bool privileged, oci::Spec& spec) {
  std::vector<oci::DeviceRule>& rules = spec.linux_config.resources.devices;
  if (privileged) {
    rules = {Allow("a", std::nullopt, std::nullopt)};
  } else {
    rules = {
        Deny("rwm"),
        Allow("c", std::nullopt, std::nullopt, "m"),  // mknod of any node; opening needs a rule
        Allow("b", std::nullopt, std::nullopt, "m"),
        Allow("c", 1, 3),               // /dev/null
        Allow("c", 1, 5),               // /dev/zero
        Allow("c", 1, 7),               // /dev/full
        Allow("c", 1, 8),               // /dev/random
        Allow("c", 1, 9),               // /dev/urandom
        Allow("c", 5, 0),               // /dev/tty
        Allow("c", 5, 1),               // /dev/console
        Allow("c", 5, 2),               // /dev/ptmx
        Allow("c", 136, std::nullopt),  // /dev/pts/*
        Allow("c", 10, 200),            // /dev/net/tun
    };
  }
  for (const DeviceMapping& mapping : resources.devices) {
    BERTH_RETURN_IF_ERROR(AddDeviceMapping(mapping, spec));
  }
  if (privileged) return absl::OkStatus();
  for (const std::string& text : resources.device_cgroup_rules) {
    BERTH_ASSIGN_OR_RETURN(oci::DeviceRule rule, ParseDeviceCgroupRule(text));
    rules.push_back(std::move(rule));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<oci::Rlimit>> UlimitsToRlimits(const std::vector<Ulimit>& ulimits) {
  static const std::set<std::string> kKnown = {
      "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
      "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
  std::vector<oci::Rlimit> out;
  for (const Ulimit& u : ulimits) {
    std::string name = absl::AsciiStrToLower(u.name);
    if (kKnown.count(name) == 0) return Invalid(absl::StrCat("invalid ulimit type: ", u.name));
    if (u.soft < -1 || u.hard < -1) {
      return Invalid(absl::StrCat("invalid ulimit value for ", u.name));
    }
    // -1 is "unlimited" (RLIM_INFINITY, all bits set).
    uint64_t soft = u.soft == -1 ? std::numeric_limits<uint64_t>::max() : uint64_t(u.soft);
    uint64_t hard = u.hard == -1 ? std::numeric_limits<uint64_t>::max() : uint64_t(u.hard);
    if (soft > hard) {
      return Invalid(absl::StrCat(
          "ulimit soft limit must be less than or equal to hard limit: ", u.soft, " > ", u.hard));
    }
    std::string type = absl::StrCat("RLIMIT_", absl::AsciiStrToUpper(name));
    std::erase_if(out, [&](const oci::Rlimit& r) { return r.type == type; });
    out.push_back({.type = type, .hard = hard, .soft = soft});
  }
  return out;
}

absl::Status ValidateSysctls(const std::map<std::string, std::string>& sysctls, bool host_network,
                             bool host_ipc) {
  static const std::set<std::string> kIpcSysctls = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const auto& [key, value] : sysctls) {
    if (kIpcSysctls.count(key) != 0 || absl::StartsWith(key, "fs.mqueue.")) {
      if (host_ipc) {
        return Invalid(
            absl::StrCat("sysctl \"", key, "\" is not allowed in the hosts ipc namespace"));
      }
      continue;
    }
    if (absl::StartsWith(key, "net.")) {
      if (host_network) {
        return Invalid(absl::StrCat("sysctl \"", key, "\" not allowed in host network namespace"));
      }
      continue;
    }
    return Invalid(absl::StrCat("sysctl \"", key, "\" is not in a separate kernel namespace"));
  }
  return absl::OkStatus();
}

}  // namespace berth::runtime
