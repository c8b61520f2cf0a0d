// Status names and Docker's `--restart` syntax for container records.
#include "services/runtime/core/container_record.h"

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace berth::runtime {
namespace {

constexpr std::array<std::pair<ContainerStatus, absl::string_view>, 7> kStatusNames = {{
    {ContainerStatus::kCreated, "created"},
    {ContainerStatus::kRunning, "running"},
    {ContainerStatus::kPaused, "paused"},
    {ContainerStatus::kRestarting, "restarting"},
    {ContainerStatus::kRemoving, "removing"},
    {ContainerStatus::kExited, "exited"},
    {ContainerStatus::kDead, "dead"},
}};

constexpr std::array<std::pair<RestartPolicyName, absl::string_view>, 4> kPolicyNames = {{
    {RestartPolicyName::kNo, "no"},
    {RestartPolicyName::kAlways, "always"},
    {RestartPolicyName::kOnFailure, "on-failure"},
    {RestartPolicyName::kUnlessStopped, "unless-stopped"},
}};

absl::string_view PolicyName(RestartPolicyName name) {
  for (const auto& [value, text] : kPolicyNames) {
    if (value == name) return text;
  }
  return "no";
}

}  // namespace

absl::string_view ContainerStatusName(ContainerStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "unknown";
}

absl::StatusOr<ContainerStatus> ParseContainerStatus(absl::string_view name) {
  for (const auto& [value, text] : kStatusNames) {
    if (text == name) return value;
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid container status \"", name, "\""));
}

absl::StatusOr<RestartPolicy> ParseRestartPolicy(absl::string_view text) {
  if (text.empty()) return RestartPolicy{};  // Docker: unset is the daemon's default, "no"
  const size_t colon = text.find(':');
  const absl::string_view name = text.substr(0, colon);
  RestartPolicy policy;
  if (colon != absl::string_view::npos) {
    if (name.empty()) {
      return absl::InvalidArgumentError(
          "invalid restart policy format: no policy provided before colon");
    }
    const absl::string_view count = text.substr(colon + 1);
    // Go's Atoi, which Docker uses, takes no surrounding spaces; SimpleAtoi would.
    const bool spaced =
        !count.empty() && (absl::ascii_isspace(count.front()) || absl::ascii_isspace(count.back()));
    if (!count.empty() && (spaced || !absl::SimpleAtoi(count, &policy.max_retries))) {
      return absl::InvalidArgumentError(
          "invalid restart policy format: maximum retry count must be an integer");
    }
  }
  bool known = false;
  for (const auto& [value, known_name] : kPolicyNames) {
    if (known_name == name) {
      policy.name = value;
      known = true;
    }
  }
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid restart policy: unknown policy '", name,
                     "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"));
  }
  if (absl::Status status = ValidateRestartPolicy(policy); !status.ok()) return status;
  return policy;
}

absl::Status ValidateRestartPolicy(const RestartPolicy& policy) {
  if (policy.name == RestartPolicyName::kOnFailure) {
    if (policy.max_retries < 0) {
      return absl::InvalidArgumentError(
          "invalid restart policy: maximum retry count cannot be negative");
    }
    return absl::OkStatus();
  }
  if (policy.max_retries != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid restart policy: maximum retry count can only be used with "
                     "'on-failure'",
                     policy.max_retries < 0 ? " and cannot be negative" : ""));
  }
  return absl::OkStatus();
}

std::string RestartPolicyString(const RestartPolicy& policy) {
  std::string text(PolicyName(policy.name));
  if (policy.name == RestartPolicyName::kOnFailure && policy.max_retries != 0) {
    absl::StrAppend(&text, ":", policy.max_retries);
  }
  return text;
}

}  // namespace berth::runtime
