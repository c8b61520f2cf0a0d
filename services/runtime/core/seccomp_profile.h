// Docker's seccomp profile format (`--security-opt seccomp=profile.json`) read into the
// runtime-spec's linux.seccomp.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "shim/oci/spec.h"

namespace berth::runtime {

// Parses a profile in Docker's format, a superset of linux.seccomp: rules with
// "includes"/"excludes" conditions on capabilities and architectures are kept or dropped
// for a container whose bounding set is `capabilities` on this machine's architecture;
// "archMap" supplies the architectures when "architectures" is absent; "name" is read as
// a one-element "names". Kernel version conditions (minKernel) are not checked: such a
// rule is kept. Errors start with "seccomp profile: ".
absl::StatusOr<oci::Seccomp> ParseSeccompProfile(absl::string_view json,
                                                 const std::vector<std::string>& capabilities);

}  // namespace berth::runtime
