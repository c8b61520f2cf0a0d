#include "ctl/units.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace berth::ctl {
namespace {

// Consumes leading digits with an optional fraction; false when none.
bool ConsumeDecimal(absl::string_view* text, double* value) {
  size_t end = 0;
  while (end < text->size() && std::isdigit(static_cast<unsigned char>((*text)[end]))) ++end;
  if (end == 0) return false;
  if (end < text->size() && (*text)[end] == '.') {
    size_t frac = end + 1;
    while (frac < text->size() && std::isdigit(static_cast<unsigned char>((*text)[frac]))) ++frac;
    end = frac;
  }
  *value = std::strtod(std::string(text->substr(0, end)).c_str(), nullptr);
  text->remove_prefix(end);
  return true;
}

}  // namespace

absl::StatusOr<int64_t> ParseSize(const std::string& text) {
  const absl::Status invalid =
      absl::InvalidArgumentError(absl::StrCat("invalid size: '", text, "'"));
  absl::string_view rest = text;
  double number = 0;
  if (!ConsumeDecimal(&rest, &number)) return invalid;
  absl::ConsumePrefix(&rest, " ");
  double multiplier = 1;
  if (!rest.empty()) {
    const char* const kUnits = "kmgtp";
    const char* unit = std::strchr(kUnits, absl::ascii_tolower(rest[0]));
    if (unit != nullptr && *unit != '\0') {
      multiplier = std::pow(1024.0, static_cast<double>(unit - kUnits + 1));
      rest.remove_prefix(1);
    }
  }
  if (!rest.empty() && absl::ascii_tolower(rest[0]) == 'i') rest.remove_prefix(1);
  if (!rest.empty() && absl::ascii_tolower(rest[0]) == 'b') rest.remove_prefix(1);
  if (!rest.empty()) return invalid;
  return static_cast<int64_t>(number * multiplier);
}

absl::StatusOr<absl::Duration> ParseGoDuration(const std::string& text) {
  const absl::Status invalid =
      absl::InvalidArgumentError(absl::StrCat("time: invalid duration \"", text, "\""));
  absl::string_view rest = text;
  bool negative = false;
  if (absl::ConsumePrefix(&rest, "-")) {
    negative = true;
  } else {
    absl::ConsumePrefix(&rest, "+");
  }
  if (rest == "0") return absl::ZeroDuration();
  if (rest.empty()) return invalid;
  static const std::pair<const char*, absl::Duration> kUnits[] = {
      {"ns", absl::Nanoseconds(1)},
      {"us", absl::Microseconds(1)},
      {"\xC2\xB5s", absl::Microseconds(1)},
      {"\xCE\xBCs", absl::Microseconds(1)},
      {"ms", absl::Milliseconds(1)},
      {"s", absl::Seconds(1)},
      {"m", absl::Minutes(1)},
      {"h", absl::Hours(1)}};
  absl::Duration total;
  while (!rest.empty()) {
    double number = 0;
    if (!ConsumeDecimal(&rest, &number)) return invalid;
    size_t unit_end = 0;
    while (unit_end < rest.size() && rest[unit_end] != '.' &&
           !std::isdigit(static_cast<unsigned char>(rest[unit_end]))) {
      ++unit_end;
    }
    absl::string_view unit = rest.substr(0, unit_end);
    if (unit.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("time: missing unit in duration \"", text, "\""));
    }
    bool known = false;
    for (const auto& [name, scale] : kUnits) {
      if (unit == name) {
        total += number * scale;
        known = true;
      }
    }
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("time: unknown unit \"", unit, "\" in duration \"", text, "\""));
    }
    rest.remove_prefix(unit_end);
  }
  return negative ? -total : total;
}

absl::StatusOr<RestartPolicySpec> ParseRestartPolicy(const std::string& text) {
  std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits(':', 1));
  const auto& [name, count] = parts;
  if (text.find(':') != std::string::npos && name.empty()) {
    return absl::InvalidArgumentError(
        "invalid restart policy format: no policy provided before colon");
  }
  RestartPolicySpec spec;
  if (!count.empty() && !absl::SimpleAtoi(count, &spec.max_retries)) {
    return absl::InvalidArgumentError(
        "invalid restart policy format: maximum retry count must be an integer");
  }
  if (name.empty() || name == "no") {
    spec.policy = runtime::v1::RESTART_POLICY_NO;
  } else if (name == "always") {
    spec.policy = runtime::v1::RESTART_POLICY_ALWAYS;
  } else if (name == "unless-stopped") {
    spec.policy = runtime::v1::RESTART_POLICY_UNLESS_STOPPED;
  } else if (name == "on-failure") {
    spec.policy = runtime::v1::RESTART_POLICY_ON_FAILURE;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid restart policy: unknown policy '", name,
                     "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"));
  }
  if (spec.max_retries != 0 && spec.policy != runtime::v1::RESTART_POLICY_ON_FAILURE) {
    return absl::InvalidArgumentError(
        "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  }
  if (spec.max_retries < 0) {
    return absl::InvalidArgumentError(
        "invalid restart policy: maximum retry count cannot be negative");
  }
  return spec;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string ResolveEnv(const std::string& value, const EnvLookup& lookup) {
  if (value.find('=') != std::string::npos) return value;
  std::optional<std::string> found = lookup(value);
  return found ? value + "=" + *found : value;
}

absl::StatusOr<std::vector<std::string>> ParseEnvFileContent(const std::string& content,
                                                             const EnvLookup& lookup) {
  std::vector<std::string> out;
  absl::string_view text = content;
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");  // a UTF-8 byte order mark
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    absl::ConsumeSuffix(&raw, "\r");
    absl::string_view line = absl::StripLeadingAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#') continue;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    absl::string_view name = absl::StripLeadingAsciiWhitespace(kv.first);
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("no variable name on line '", line, "'"));
    }
    if (std::any_of(name.begin(), name.end(), [](char c) { return absl::ascii_isspace(c); })) {
      return absl::InvalidArgumentError(absl::StrCat("variable '", name, "' contains whitespaces"));
    }
    if (line.find('=') != absl::string_view::npos) {
      out.push_back(absl::StrCat(name, "=", kv.second));
    } else if (std::optional<std::string> value = lookup(std::string(name))) {
      out.push_back(absl::StrCat(name, "=", *value));
    }
  }
  return out;
}

absl::StatusOr<absl::Time> ParseTimestamp(const std::string& text, absl::Time now) {
  if (absl::StatusOr<absl::Duration> d = ParseGoDuration(text); d.ok() && text != "0") {
    return now - *d;
  }
  absl::string_view rest = text;
  double seconds = 0;
  if (ConsumeDecimal(&rest, &seconds) && rest.empty() && text.find('-') == std::string::npos) {
    std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits('.', 1));
    int64_t whole = 0;
    absl::SimpleAtoi(parts.first, &whole);
    std::string nanos = (parts.second + "000000000").substr(0, 9);
    int64_t fraction = 0;
    absl::SimpleAtoi(nanos, &fraction);
    return absl::FromUnixSeconds(whole) + absl::Nanoseconds(fraction);
  }
  static const char* const kZoned[] = {"%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M:%E*SZ"};
  static const char* const kLocal[] = {"%Y-%m-%dT%H:%M:%E*S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
  absl::Time t;
  std::string error;
  for (const char* format : kZoned) {
    if (absl::ParseTime(format, text, absl::UTCTimeZone(), &t, &error)) return t;
  }
  for (const char* format : kLocal) {
    if (absl::ParseTime(format, text, absl::LocalTimeZone(), &t, &error)) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("failed to parse value as time or duration: \"", text, "\""));
}

}  // namespace berth::ctl
