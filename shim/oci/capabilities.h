// Linux capability names as the runtime-spec writes them ("CAP_CHOWN") and their numbers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::oci {

// The capabilities berth knows, CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40).
inline constexpr int kLastKnownCapability = 40;

// "CAP_CHOWN" → 0. Names are matched exactly; anything else is InvalidArgument.
absl::StatusOr<int> CapabilityNumber(absl::string_view name);

// 0 → "CAP_CHOWN"; "" outside 0..kLastKnownCapability.
absl::string_view CapabilityName(int number);

// The bit mask (1 << number) of the named capabilities; names that are not known are
// skipped (ValidateSpec has rejected them before this is reached).
uint64_t CapabilityMask(const std::vector<std::string>& names);

// The highest capability the running kernel supports, from /proc/sys/kernel/cap_last_cap,
// so callers can skip the ones it lacks. When the file cannot be read: kLastKnownCapability.
int LastSupportedCapability();
// The same, reading `path` (for tests).
int LastSupportedCapability(const std::string& path);

}  // namespace berth::oci
