// `berthctl events`' output as Docker prints it: the default line, the JSON message and
// the --filter arguments.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "berth/runtime/v1/events.pb.h"
#include "berth/types/v1/types.pb.h"
#include "nlohmann/json.hpp"

namespace berth::ctl {

// Docker's events message: status, id, from (legacy fields of container and image events),
// Type, Action, Actor{ID, Attributes}, scope, time, timeNano.
nlohmann::ordered_json EventJson(const runtime::v1::Event& event);

// "2026-12-06T23:41:35.534465614Z container start 3a1f… (image=busybox, name=web)":
// the time with nanoseconds in `zone` (local, as Docker; "+01:00" unless the offset is
// zero), attributes sorted by key.
std::string EventLine(const runtime::v1::Event& event, absl::TimeZone zone = absl::LocalTimeZone());

// The event rendered by --format: "" the line, "json" or a template over EventJson.
std::string RenderEvent(const runtime::v1::Event& event, const std::string& format);

// "k=v" arguments grouped by key, in first-seen order; an argument without '=' is an error.
absl::StatusOr<std::vector<types::v1::Filter>> ParseEventFilters(
    const std::vector<std::string>& args);

}  // namespace berth::ctl
