// Structured logging to stderr, as text or JSON lines.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kText, kJson };

using Fields = std::vector<std::pair<std::string, std::string>>;

absl::StatusOr<Level> ParseLevel(absl::string_view name);
absl::StatusOr<Format> ParseFormat(absl::string_view name);

// Sets the minimum level written and the line format; safe to call at any time.
void Configure(Level min_level, Format format);
bool Enabled(Level level);

// Renders one line (no trailing newline); exposed for tests.
std::string Render(Format format, Level level, absl::string_view message, const Fields& fields,
                   absl::string_view timestamp);

void Write(Level level, absl::string_view message, const Fields& fields = {});

inline void Debug(absl::string_view m, const Fields& f = {}) { Write(Level::kDebug, m, f); }
inline void Info(absl::string_view m, const Fields& f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(absl::string_view m, const Fields& f = {}) { Write(Level::kWarn, m, f); }
inline void Error(absl::string_view m, const Fields& f = {}) { Write(Level::kError, m, f); }

}  // namespace berth::log
