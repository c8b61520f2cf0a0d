#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace berth::log {
namespace {

std::atomic<Level> g_min_level{Level::kInfo};
std::atomic<Format> g_format{Format::kText};

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

// Quotes a text value when it holds spaces, quotes or '=' (logfmt's rule).
std::string TextValue(absl::string_view value) {
  bool plain = !value.empty() && value.find_first_of(" \"=\t\n") == absl::string_view::npos;
  if (plain) return std::string(value);
  return nlohmann::json(std::string(value)).dump();
}

}  // namespace

absl::StatusOr<Level> ParseLevel(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  if (lower == "debug") return Level::kDebug;
  if (lower == "info") return Level::kInfo;
  if (lower == "warn" || lower == "warning") return Level::kWarn;
  if (lower == "error" || lower == "fatal") return Level::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level \"", name, "\" (want debug, info, warn or error)"));
}

absl::StatusOr<Format> ParseFormat(absl::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log format \"", name, "\" (want text or json)"));
}

void Configure(Level min_level, Format format) {
  g_min_level = min_level;
  g_format = format;
}

bool Enabled(Level level) { return level >= g_min_level.load(); }

std::string Render(Format format, Level level, absl::string_view message, const Fields& fields,
                   absl::string_view timestamp) {
  if (format == Format::kJson) {
    nlohmann::ordered_json line;
    line["time"] = timestamp;
    line["level"] = LevelName(level);
    line["msg"] = message;
    for (const auto& [key, value] : fields) line[key] = value;
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line =
      absl::StrCat("time=", timestamp, " level=", LevelName(level), " msg=", TextValue(message));
  for (const auto& [key, value] : fields) absl::StrAppend(&line, " ", key, "=", TextValue(value));
  return line;
}

void Write(Level level, absl::string_view message, const Fields& fields) {
  if (!Enabled(level)) return;
  std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  std::string line = Render(g_format.load(), level, message, fields, ts);
  line.push_back('\n');
  // One write(2) per line keeps lines whole when threads log at once.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace berth::log
