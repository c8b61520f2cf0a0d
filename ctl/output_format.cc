#include "ctl/output_format.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace berth::ctl {
namespace {

size_t Width(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string Render(const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "<no value>";
  if (value.is_array()) {
    std::vector<std::string> items;
    for (const auto& item : value) items.push_back(Render(item));
    return absl::StrCat("[", absl::StrJoin(items, " "), "]");
  }
  if (value.is_object()) {
    std::vector<std::string> items;
    for (const auto& [key, item] : value.items()) items.push_back(key + ":" + Render(item));
    return absl::StrCat("map[", absl::StrJoin(items, " "), "]");
  }
  return value.dump();
}

// ".A.B" in `value`; null when a step is missing.
nlohmann::ordered_json Lookup(const nlohmann::ordered_json& value, absl::string_view path) {
  if (path == ".") return value;
  nlohmann::ordered_json current = value;
  for (absl::string_view step : absl::StrSplit(path.substr(1), '.')) {
    if (!current.is_object() || !current.contains(std::string(step))) return nullptr;
    current = current[std::string(step)];
  }
  return current;
}

}  // namespace

std::string HumanSize(int64_t bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  double size = static_cast<double>(bytes);
  size_t unit = 0;
  while (size >= 1000 && unit + 1 < std::size(kUnits)) {
    size /= 1000;
    ++unit;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g%s", size, kUnits[unit]);
  return buf;
}

std::string ReclaimedSize(int64_t bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double size = static_cast<double>(bytes);
  size_t unit = 0;
  while (size >= 1000 && unit + 1 < std::size(kUnits)) {
    size /= 1000;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof(text), "%.4g%s", size, kUnits[unit]);
  return text;
}

std::string HumanDuration(absl::Duration d) {
  const int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return absl::StrCat(seconds, " seconds");
  const int64_t minutes = absl::ToInt64Minutes(d);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return absl::StrCat(minutes, " minutes");
  const int64_t hours = absl::ToInt64Hours(d + absl::Minutes(30));  // rounded, as Go's Round
  if (hours == 1) return "About an hour";
  if (hours < 48) return absl::StrCat(hours, " hours");
  if (hours < 24 * 7 * 2) return absl::StrCat(hours / 24, " days");
  if (hours < 24 * 30 * 2) return absl::StrCat(hours / 24 / 7, " weeks");
  if (hours < 24 * 365 * 2) return absl::StrCat(hours / 24 / 30, " months");
  return absl::StrCat(absl::ToInt64Hours(d) / 24 / 365, " years");
}

std::string TimeAgo(absl::Time t, absl::Time now) {
  if (t == absl::InfinitePast()) return "N/A";
  return HumanDuration(now - t) + " ago";
}

std::string Rfc3339(absl::Time t) {
  if (t == absl::InfinitePast()) return "0001-01-01T00:00:00Z";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

std::string Ellipsis(const std::string& text, size_t max) {
  if (Width(text) <= max) return text;
  std::string out;
  size_t width = 0;
  for (char c : text) {
    bool starts_rune = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_rune && ++width > max - 1) break;
    out.push_back(c);
  }
  return out + "…";
}

std::string RenderTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      if (widths.size() <= i) widths.resize(i + 1, 10);
      widths[i] = std::max(widths[i], Width(row[i]) + 3);
    }
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out.append(widths[i] - Width(row[i]), ' ');
    }
    out += "\n";
  }
  return out;
}

OutputFormat ParseOutputFormat(const std::string& format) {
  OutputFormat out;
  if (format.empty() || format == "table") return out;
  if (format == "json") {
    out.json = true;
    out.table = false;
    return out;
  }
  absl::string_view text = format;
  out.table = absl::ConsumePrefix(&text, "table");
  out.template_text =
      absl::StrReplaceAll(absl::StripLeadingAsciiWhitespace(text), {{"\\t", "\t"}, {"\\n", "\n"}});
  return out;
}

std::string ExpandTemplate(const std::string& text, const nlohmann::ordered_json& value) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    size_t close = open == std::string::npos ? open : text.find("}}", open);
    if (close == std::string::npos) {
      out += text.substr(pos);
      break;
    }
    out += text.substr(pos, open - pos);
    absl::string_view action =
        absl::StripAsciiWhitespace(absl::string_view(text).substr(open + 2, close - open - 2));
    if (absl::ConsumePrefix(&action, "json ")) {
      out += Lookup(value, absl::StripAsciiWhitespace(action)).dump();
    } else {
      out += Render(Lookup(value, action));
    }
    pos = close + 2;
  }
  return out;
}

std::string TemplateHeader(const std::string& text,
                           const std::vector<std::pair<std::string, std::string>>& names) {
  std::string header = text;
  for (const auto& [field, name] : names) {
    header = absl::StrReplaceAll(header, {{"{{." + field + "}}", name}});
  }
  return header;
}

std::string RenderRows(const std::vector<nlohmann::ordered_json>& rows,
                       const std::string& format_flag, const std::string& default_template,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  const OutputFormat format = ParseOutputFormat(format_flag);
  std::string out;
  if (format.json) {
    for (const auto& row : rows) out += row.dump() + "\n";
    return out;
  }
  const std::string& text = format.template_text.empty() ? default_template : format.template_text;
  std::vector<std::vector<std::string>> table;
  if (format.table) table.push_back(absl::StrSplit(TemplateHeader(text, headers), '\t'));
  for (const auto& row : rows) table.push_back(absl::StrSplit(ExpandTemplate(text, row), '\t'));
  return RenderTable(table);
}

}  // namespace berth::ctl
