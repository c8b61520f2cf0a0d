// Docker's value syntaxes for container flags: sizes ("64m"), Go durations ("1m30s"),
// restart policies ("on-failure:3"), env files and the times `logs --since` takes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "berth/runtime/v1/containers.pb.h"

namespace berth::ctl {

// go-units' RAMInBytes: "512", "512k", "64m", "1g", "1.5GB" (binary multipliers).
absl::StatusOr<int64_t> ParseSize(const std::string& text);

// Go's time.ParseDuration: "10s", "1m30s", "1.5h", "300ms", "-2us".
absl::StatusOr<absl::Duration> ParseGoDuration(const std::string& text);

struct RestartPolicySpec {
  runtime::v1::RestartPolicy policy = runtime::v1::RESTART_POLICY_NO;
  int max_retries = 0;
};
// "no", "always", "unless-stopped", "on-failure[:N]", with Docker's error messages.
absl::StatusOr<RestartPolicySpec> ParseRestartPolicy(const std::string& text);

// How an env variable is looked up on the client (getenv in berthctl, a map in tests).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnv();

// Docker's `-e` value: "K=v" as is; "K" alone takes the client's value when it has one.
std::string ResolveEnv(const std::string& value, const EnvLookup& lookup);

// The lines of an --env-file: "#" comments and blank lines skipped, "K=v" kept as
// written, "K" alone replaced by "K=<client value>" or dropped when the client has none.
absl::StatusOr<std::vector<std::string>> ParseEnvFileContent(const std::string& content,
                                                             const EnvLookup& lookup);

// Docker's timestamp arguments (`logs --since/--until`): RFC 3339 (with or without a
// zone or time), Unix seconds with an optional fraction, or a duration before `now`.
absl::StatusOr<absl::Time> ParseTimestamp(const std::string& text, absl::Time now);

}  // namespace berth::ctl
