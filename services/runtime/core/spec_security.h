// The security half of a container's spec, as Docker decides it: capabilities from
// --cap-add/--cap-drop/--privileged, the --security-opt values, and the seccomp profile.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/runtime/core/container_options.h"
#include "shim/oci/spec.h"

namespace berth::runtime {

// The capability set Docker ≥ 20.10 gives a container: privileged → every capability
// the kernel (and berth) knows; "ALL" in cap_add → all but those dropped; "ALL" in
// cap_drop → only those added; otherwise the 14 defaults minus drops plus adds. Names are
// case-insensitive, with or without "CAP_"; an unknown one is InvalidArgument.
absl::StatusOr<std::vector<std::string>> ContainerCapabilities(const SecurityOptions& security);

// The --security-opt values, with the typed fields of SecurityOptions winning.
struct SecuritySettings {
  bool no_new_privileges = false;
  bool seccomp_unconfined = false;
  std::string seccomp_profile_json;  // "" Docker's default (unless unconfined)
  bool system_paths_unconfined = false;
};

// Parses security_opts ("key=value" or the legacy "key:value"): no-new-privileges
// [:true|false], seccomp=unconfined|<json>, systempaths=unconfined; apparmor= and label=
// are accepted and ignored. Anything else is InvalidArgument "invalid --security-opt: …".
absl::StatusOr<SecuritySettings> ParseSecuritySettings(const SecurityOptions& security);

// linux.seccomp for a container with bounding set `capabilities`: none when privileged or
// unconfined, the given profile when there is one, else Docker's default profile.
absl::StatusOr<std::optional<oci::Seccomp>> ContainerSeccomp(
    const SecuritySettings& settings, bool privileged,
    const std::vector<std::string>& capabilities);

}  // namespace berth::runtime
