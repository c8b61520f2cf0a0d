// Docker's output helpers: human sizes and ages, tab-aligned tables, and the subset of
// Go templates berthctl's --format understands ({{.Field}}, {{.A.B}}, {{json .X}},
// a leading "table", "\t" and "\n").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace berth::ctl {

// go-units' HumanSizeWithPrecision(size, 3): "4.26MB", "719B", "1.5kB".
std::string HumanSize(int64_t bytes);
// go-units' HumanSize (4 significant digits), as prune reports reclaimed space: "4.264MB".
std::string ReclaimedSize(int64_t bytes);
// go-units' HumanDuration: "Less than a second", "About a minute", "2 hours", "3 weeks".
std::string HumanDuration(absl::Duration d);
// "2 hours ago", or "N/A" for an unknown time (InfinitePast).
std::string TimeAgo(absl::Time t, absl::Time now = absl::Now());
// RFC 3339 with nanoseconds, UTC, as Docker prints times in JSON: "2024-01-02T03:04:05Z".
std::string Rfc3339(absl::Time t);
// Docker's stringutils.Ellipsis: at most `max` characters, the last one "…" when cut.
std::string Ellipsis(const std::string& text, size_t max);

// Rows aligned as Go's tabwriter(minwidth 10, padding 3) aligns Docker's tables.
std::string RenderTable(const std::vector<std::vector<std::string>>& rows);

// A --format value: "table", "json", a template, or "table <template>".
struct OutputFormat {
  bool json = false;
  bool table = true;          // header row and aligned columns
  std::string template_text;  // empty: the command's default columns
};
OutputFormat ParseOutputFormat(const std::string& format);

// What a list command prints for `rows` under a --format value: one JSON object a line
// for "json", else a table (or bare lines) of the template, `default_template` when the
// value names none; `headers` name the table's columns.
std::string RenderRows(const std::vector<nlohmann::ordered_json>& rows,
                       const std::string& format_flag, const std::string& default_template,
                       const std::vector<std::pair<std::string, std::string>>& headers);

// Expands the template subset against `value` (a JSON object): strings print bare,
// arrays as Go prints slices ("[a b]"), objects as maps, missing fields "<no value>".
std::string ExpandTemplate(const std::string& text, const nlohmann::ordered_json& value);
// The header a template's fields get in a table: {{.ID}} → "IMAGE ID" via `names`.
std::string TemplateHeader(const std::string& text,
                           const std::vector<std::pair<std::string, std::string>>& names);

}  // namespace berth::ctl
