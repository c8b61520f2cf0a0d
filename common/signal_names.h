// Signals as users name them: "SIGTERM", "term", "TERM" or "15".
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

// InvalidArgument `unknown signal "x"` for anything else.
absl::StatusOr<int> ParseSignal(absl::string_view text);

}  // namespace berth
