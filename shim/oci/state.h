// The runtime-spec container state, in the shape `runc state` prints it.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace berth::oci {

enum class ContainerStatus { kCreating, kCreated, kRunning, kStopped, kPaused };

// "creating", "created", "running", "stopped", "paused".
absl::string_view ContainerStatusName(ContainerStatus status);
absl::StatusOr<ContainerStatus> ParseContainerStatus(absl::string_view name);

struct State {
  std::string oci_version;
  std::string id;
  ContainerStatus status = ContainerStatus::kCreating;
  int pid = 0;  // 0 once stopped, as runc reports it
  std::string bundle;
  std::string rootfs;
  absl::Time created = absl::UnixEpoch();
  std::string owner;  // runc's key; "" from `runc state`
  std::map<std::string, std::string> annotations;

  bool operator==(const State&) const = default;

  // `runc state` output: keys ociVersion, id, pid, status, bundle, rootfs, created
  // (RFC 3339 in UTC with trailing zeros of the fraction dropped, as Go's RFC3339Nano),
  // annotations (only when there are some), owner; two-space indent; Go's escaping of
  // <, > and &; no trailing newline.
  std::string ToJson() const;

  // Reads ToJson's output, or the runtime-spec's plain state (rootfs, created and owner
  // absent). ociVersion, id, status and bundle are required.
  static absl::StatusOr<State> FromJson(absl::string_view json);
};

}  // namespace berth::oci
