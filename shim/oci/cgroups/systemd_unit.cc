#include "shim/oci/cgroups/systemd_unit.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace berth::oci {
namespace {

constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();  // systemd's "infinity"
constexpr int kMaxCpusetIndex = 8191;  // far above any CPU or node number the kernel has

absl::Status BadForm(absl::string_view cgroups_path, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("cgroups path \"", cgroups_path, "\" (systemd's slice:prefix:name): ", why));
}

// CPU quota per second of time, rounded up to systemd's 10 ms granularity (as runc does,
// so that systemd never grants less than asked).
uint64_t QuotaPerSecond(int64_t quota, uint64_t period) {
  uint64_t per_second = static_cast<uint64_t>(quota) * 1000000 / period;
  if (per_second % 10000 != 0) per_second = (per_second / 10000 + 1) * 10000;
  return per_second;
}

}  // namespace

bool IsSystemdCgroupsPath(absl::string_view cgroups_path) {
  if (absl::StartsWith(cgroups_path, "/")) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(cgroups_path, ':');
  return parts.size() == 3;
}

absl::StatusOr<std::string> ExpandSlice(absl::string_view slice) {
  absl::string_view name = slice;
  if (!absl::ConsumeSuffix(&name, ".slice") || name.empty() || absl::StrContains(name, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", slice, "\" is not a slice name (a-b.slice)"));
  }
  if (name == "-") return std::string();
  std::string path, prefix;
  for (absl::string_view part : absl::StrSplit(name, '-')) {
    if (part.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("\"", slice, "\" has an empty component"));
    }
    absl::StrAppend(&prefix, prefix.empty() ? "" : "-", part);
    absl::StrAppend(&path, "/", prefix, ".slice");
  }
  return path;
}

absl::StatusOr<SystemdScope> ParseSystemdCgroupsPath(absl::string_view cgroups_path) {
  std::vector<std::string> parts = absl::StrSplit(cgroups_path, ':');
  if (absl::StartsWith(cgroups_path, "/") || parts.size() != 3) {
    return BadForm(cgroups_path, "expected three parts separated by ':'");
  }
  const std::string& prefix = parts[1];
  const std::string& name = parts[2];
  if (name.empty()) return BadForm(cgroups_path, "the name is empty");
  for (const std::string& part : parts) {
    if (absl::StrContains(part, "/")) return BadForm(cgroups_path, "a part holds '/'");
  }
  if (absl::EndsWith(name, ".slice")) {
    return BadForm(cgroups_path,
                   "a name ending in .slice would make the container a slice; berth-oci "
                   "runs containers in scopes");
  }
  SystemdScope scope;
  scope.slice = parts[0].empty() ? "system.slice" : parts[0];
  auto expanded = ExpandSlice(scope.slice);
  if (!expanded.ok()) return BadForm(cgroups_path, expanded.status().message());
  scope.unit =
      prefix.empty() ? absl::StrCat(name, ".scope") : absl::StrCat(prefix, "-", name, ".scope");
  scope.cgroup_path = absl::StrCat(*expanded, "/", scope.unit);
  return scope;
}

absl::StatusOr<std::vector<uint8_t>> CpusetBitmask(absl::string_view list) {
  std::vector<uint8_t> mask;
  for (absl::string_view range : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> ends = absl::StrSplit(range, '-');
    int first = 0, last = 0;
    if (ends.size() > 2 || !absl::SimpleAtoi(ends.front(), &first) ||
        !absl::SimpleAtoi(ends.back(), &last) || first < 0 || last < first ||
        last > kMaxCpusetIndex) {
      return absl::InvalidArgumentError(absl::StrCat("\"", list, "\" is not a cpuset list"));
    }
    if (mask.size() < static_cast<size_t>(last / 8 + 1)) mask.resize(last / 8 + 1);
    for (int i = first; i <= last; ++i) mask[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  }
  return mask;
}

std::vector<UnitProperty> SystemdResourceProperties(const CgroupResources& resources) {
  std::vector<UnitProperty> properties;
  auto add = [&](const char* name, UnitProperty::Value value) {
    properties.push_back({name, std::move(value)});
  };
  if (const auto& m = resources.memory) {
    int64_t limit = m->limit.value_or(0);
    if (limit != 0) add("MemoryMax", limit < 0 ? kInfinity : static_cast<uint64_t>(limit));
    if (m->reservation.value_or(0) > 0) add("MemoryLow", static_cast<uint64_t>(*m->reservation));
    // The spec's swap counts memory and swap together; systemd's MemorySwapMax is swap alone.
    int64_t swap = m->swap.value_or(0);
    if (swap == -1 || (limit == -1 && swap == 0)) {
      add("MemorySwapMax", kInfinity);
    } else if (swap > 0 && limit > 0 && swap >= limit) {
      add("MemorySwapMax", static_cast<uint64_t>(swap - limit));
    }
  }
  if (const auto& c = resources.cpu) {
    if (c->shares.value_or(0) > 0) add("CPUWeight", CpuSharesToWeight(*c->shares));
    if (c->period.value_or(0) > 0) add("CPUQuotaPeriodUSec", *c->period);
    if (c->quota.has_value()) {
      if (*c->quota < 0) {
        add("CPUQuotaPerSecUSec", kInfinity);
      } else if (*c->quota > 0) {
        add("CPUQuotaPerSecUSec", QuotaPerSecond(*c->quota, c->period.value_or(100000)));
      }
    }
    if (auto cpus = CpusetBitmask(c->cpus); !c->cpus.empty() && cpus.ok()) {
      add("AllowedCPUs", *std::move(cpus));
    }
    if (auto mems = CpusetBitmask(c->mems); !c->mems.empty() && mems.ok()) {
      add("AllowedMemoryNodes", *std::move(mems));
    }
  }
  if (const auto& p = resources.pids; p && p->limit.has_value()) {
    add("TasksMax", *p->limit > 0 ? static_cast<uint64_t>(*p->limit) : kInfinity);
  }
  if (const auto& io = resources.block_io; io && io->weight.value_or(0) > 0) {
    add("IOWeight", BlkioWeightToIoWeight(*io->weight));
  }
  return properties;
}

std::vector<UnitProperty> SystemdScopeProperties(const SystemdScope& scope, pid_t pid,
                                                 const CgroupResources& resources) {
  std::vector<UnitProperty> properties = {
      {"Description", absl::StrCat("berth-oci container ", scope.unit)},
      {"Slice", scope.slice},
      {"PIDs", std::vector<uint32_t>{static_cast<uint32_t>(pid)}},
      {"Delegate", true},
      {"DefaultDependencies", false},
      {"MemoryAccounting", true},
      {"CPUAccounting", true},
      {"IOAccounting", true},
      {"TasksAccounting", true},
  };
  for (UnitProperty& p : SystemdResourceProperties(resources)) properties.push_back(std::move(p));
  return properties;
}

}  // namespace berth::oci
