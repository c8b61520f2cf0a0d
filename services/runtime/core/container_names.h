// Container IDs and names as Docker makes and checks them: 64-hex random IDs whose
// 12-hex short form is never all digits, generated "adjective_surname" names, and
// Docker's name syntax.
#pragma once

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace berth::runtime {

// The length of a short ID as `docker ps` shows it.
inline constexpr size_t kShortIdLength = 12;

// 64 lowercase hex digits from the kernel's CSPRNG. Like Docker, draws again when the
// first 12 digits are all decimal (a short ID that reads as a number breaks hostnames).
std::string NewContainerId();

// True for exactly 64 lowercase hex digits.
bool IsContainerId(absl::string_view id);

// A Docker-style "adjective_surname" (never "boring_wozniak") for which `taken` says
// false. After a few taken draws it appends a digit, then longer numbers; `taken` must
// say false for some name eventually.
std::string GenerateContainerName(absl::FunctionRef<bool(const std::string&)> taken);

// InvalidArgument unless `name` matches Docker's [a-zA-Z0-9][a-zA-Z0-9_.-]+ (the
// caller strips one leading "/" first).
absl::Status ValidateContainerName(absl::string_view name);

}  // namespace berth::runtime
