#include "ctl/event_format.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

const char* TypeName(runtime::v1::EventType type) {
  switch (type) {
    case runtime::v1::EVENT_TYPE_CONTAINER:
      return "container";
    case runtime::v1::EVENT_TYPE_IMAGE:
      return "image";
    case runtime::v1::EVENT_TYPE_NETWORK:
      return "network";
    case runtime::v1::EVENT_TYPE_VOLUME:
      return "volume";
    case runtime::v1::EVENT_TYPE_DAEMON:
      return "daemon";
    default:
      return "";
  }
}

int64_t UnixNanos(const runtime::v1::Event& event) {
  return event.time().seconds() * 1000000000 + event.time().nanos();
}

}  // namespace

nlohmann::ordered_json EventJson(const runtime::v1::Event& event) {
  nlohmann::ordered_json json;
  const bool legacy = event.type() == runtime::v1::EVENT_TYPE_CONTAINER ||
                      event.type() == runtime::v1::EVENT_TYPE_IMAGE;
  // Go's encoding/json sorts map keys; the attributes come out in key order.
  const std::map<std::string, std::string> attributes(event.actor().attributes().begin(),
                                                      event.actor().attributes().end());
  if (legacy) {
    json["status"] = event.action();
    json["id"] = event.actor().id();
    auto image = attributes.find("image");
    if (image != attributes.end()) json["from"] = image->second;
  }
  json["Type"] = TypeName(event.type());
  json["Action"] = event.action();
  json["Actor"]["ID"] = event.actor().id();
  json["Actor"]["Attributes"] = nlohmann::ordered_json::object();
  for (const auto& [key, value] : attributes) json["Actor"]["Attributes"][key] = value;
  json["scope"] = event.scope().empty() ? "local" : event.scope();
  json["time"] = event.time().seconds();
  json["timeNano"] = UnixNanos(event);
  return json;
}

std::string EventLine(const runtime::v1::Event& event, absl::TimeZone zone) {
  const absl::Time time = absl::FromUnixNanos(UnixNanos(event));
  // Docker's RFC3339NanoFixed in local time: "Z" for a zero offset, else "+01:00".
  const bool utc = zone.At(time).offset == 0;
  std::string line = absl::StrCat(
      absl::FormatTime(utc ? "%Y-%m-%dT%H:%M:%E9SZ" : "%Y-%m-%dT%H:%M:%E9S%Ez", time, zone), " ",
      TypeName(event.type()), " ", event.action(), " ", event.actor().id());
  const std::map<std::string, std::string> attributes(event.actor().attributes().begin(),
                                                      event.actor().attributes().end());
  if (!attributes.empty()) {
    absl::StrAppend(&line, " (", absl::StrJoin(attributes, ", ", absl::PairFormatter("=")), ")");
  }
  return line;
}

std::string RenderEvent(const runtime::v1::Event& event, const std::string& format) {
  if (format.empty()) return EventLine(event);
  if (format == "json") return EventJson(event).dump();
  const OutputFormat parsed = ParseOutputFormat(format);
  return ExpandTemplate(parsed.template_text, EventJson(event));
}

absl::StatusOr<std::vector<types::v1::Filter>> ParseEventFilters(
    const std::vector<std::string>& args) {
  std::vector<types::v1::Filter> filters;
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad format of filter (expected name=value)"));
    }
    const std::string key = arg.substr(0, eq);
    types::v1::Filter* filter = nullptr;
    for (auto& existing : filters) {
      if (existing.key() == key) filter = &existing;
    }
    if (filter == nullptr) {
      filter = &filters.emplace_back();
      filter->set_key(key);
    }
    filter->add_values(arg.substr(eq + 1));
  }
  return filters;
}

}  // namespace berth::ctl
