#include "shim/oci/state.h"

#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"
#include "shim/oci/spec_json.h"

namespace berth::oci {
namespace {

constexpr absl::string_view kStatusNames[] = {"creating", "created", "running", "stopped",
                                              "paused"};

// Go's time.RFC3339Nano for a UTC time: "2024-01-02T03:04:05.5Z".
constexpr char kCreatedFormat[] = "%Y-%m-%d%ET%H:%M:%E*SZ";

// Go's encoding/json escapes these for safe embedding in HTML; they only occur inside
// strings in JSON text, so replacing them everywhere is exact.
std::string EscapeLikeGo(std::string text) {
  return absl::StrReplaceAll(text, {{"<", "\\u003c"},
                                    {">", "\\u003e"},
                                    {"&", "\\u0026"},
                                    {"\xe2\x80\xa8", "\\u2028"},
                                    {"\xe2\x80\xa9", "\\u2029"}});
}

}  // namespace

absl::string_view ContainerStatusName(ContainerStatus status) {
  return kStatusNames[static_cast<int>(status)];
}

absl::StatusOr<ContainerStatus> ParseContainerStatus(absl::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kStatusNames)); ++i) {
    if (kStatusNames[i] == name) return static_cast<ContainerStatus>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown container status \"", name, "\""));
}

std::string State::ToJson() const {
  OrderedJson out = OrderedJson::object();
  out["ociVersion"] = oci_version;
  out["id"] = id;
  out["pid"] = pid;
  out["status"] = std::string(ContainerStatusName(status));
  out["bundle"] = bundle;
  out["rootfs"] = rootfs;
  out["created"] = absl::FormatTime(kCreatedFormat, created, absl::UTCTimeZone());
  if (!annotations.empty()) out["annotations"] = Encode(annotations);
  out["owner"] = owner;
  return EscapeLikeGo(DumpJson(out));
}

absl::StatusOr<State> State::FromJson(absl::string_view json) {
  BERTH_ASSIGN_OR_RETURN(Json parsed, ParseJson(json));
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("state must be an object, got ", parsed.type_name()));
  }
  State state;
  std::string status;
  std::string created;
  JsonReader read(parsed, "");
  read("ociVersion", state.oci_version, Presence::kRequired);
  read("id", state.id, Presence::kRequired);
  read("pid", state.pid);
  read("status", status, Presence::kRequired);
  read("bundle", state.bundle, Presence::kRequired);
  read("rootfs", state.rootfs);
  read("created", created);
  read("annotations", state.annotations);
  read("owner", state.owner);
  BERTH_RETURN_IF_ERROR(read.status());
  absl::StatusOr<ContainerStatus> parsed_status = ParseContainerStatus(status);
  if (!parsed_status.ok()) return JsonError("status", parsed_status.status().message());
  state.status = *parsed_status;
  if (!created.empty()) {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, created, &state.created, &error)) {
      return JsonError("created", absl::StrCat("not an RFC 3339 time \"", created, "\": ", error));
    }
  }
  return state;
}

}  // namespace berth::oci
