// The systemd cgroup driver's terms, without talking to systemd: the "slice:prefix:name"
// form of linux.cgroupsPath, the scope unit it names, where systemd puts that unit's
// cgroup, and the unit properties that carry a container's resources.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "shim/oci/cgroups/resources.h"

namespace berth::oci {

// A transient scope unit holding a container, as runc names it: "prefix-name.scope" in
// `slice` (system.slice when the form leaves the slice empty).
struct SystemdScope {
  std::string slice;        // "system.slice", "machine-pods.slice"
  std::string unit;         // "berth-abc.scope"
  std::string cgroup_path;  // "/system.slice/berth-abc.scope", from systemd's root cgroup
};

// True for "slice:prefix:name" (three colon-separated parts, not an absolute path).
bool IsSystemdCgroupsPath(absl::string_view cgroups_path);

// Parses the form; names with "/" or an empty name are refused, and so is a name ending in
// ".slice" (runc would make a slice, which cannot hold the container's processes itself).
absl::StatusOr<SystemdScope> ParseSystemdCgroupsPath(absl::string_view cgroups_path);

// "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" (the root slice) -> "".
absl::StatusOr<std::string> ExpandSlice(absl::string_view slice);

// A cpuset list ("0-3,6") as systemd's AllowedCPUs/AllowedMemoryNodes bitmask: bit j of
// byte i is CPU 8*i + j.
absl::StatusOr<std::vector<uint8_t>> CpusetBitmask(absl::string_view list);

// One D-Bus unit property: name and a value of signature b, t, s, au or ay.
struct UnitProperty {
  using Value =
      std::variant<bool, uint64_t, std::string, std::vector<uint32_t>, std::vector<uint8_t>>;
  std::string name;
  Value value;

  bool operator==(const UnitProperty& other) const = default;
};

// The properties systemd keeps for the resources it knows (so that re-realising the unit,
// e.g. at a daemon-reload, writes the container's limits rather than its defaults);
// everything else is written to the cgroup's files directly.
std::vector<UnitProperty> SystemdResourceProperties(const CgroupResources& resources);

// StartTransientUnit's properties for `scope` holding `pid`: delegated (the container may
// manage its subtree), no default dependencies, accounting on, and the resources above.
std::vector<UnitProperty> SystemdScopeProperties(const SystemdScope& scope, pid_t pid,
                                                 const CgroupResources& resources);

}  // namespace berth::oci
