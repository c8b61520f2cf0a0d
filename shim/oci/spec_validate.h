// Checks a Spec before berth acts on it: required fields, known enum values, and the
// rules that keep a config from surprising the host (id ranges, absolute paths, one
// namespace per type, user namespace mappings).
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "shim/oci/spec.h"

namespace berth::oci {

// The largest uid/gid berth accepts: ids above 2^31-1 are negative to much of the
// kernel and libc (and (uid_t)-1 means "unchanged" to the set*id calls).
inline constexpr uint32_t kMaxId = 2147483647;

// InvalidArgument naming the JSON path of the first bad field, e.g.
// `linux.namespaces[2].type: unknown namespace "pidd"`. ParseSpec runs this; call it
// directly for specs built in code.
absl::Status ValidateSpec(const Spec& spec);

}  // namespace berth::oci
