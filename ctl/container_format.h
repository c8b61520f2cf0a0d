// How berthctl shows containers as Docker does: `ps` rows and table, status strings
// ("Up 5 seconds (healthy)"), quoted commands, and `inspect`'s JSON shape.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "berth/runtime/v1/containers.pb.h"
#include "common/start_failure.h"
#include "google/protobuf/timestamp.pb.h"
#include "nlohmann/json.hpp"

namespace berth::ctl {

// A protobuf time; InfinitePast when unset (Go's zero time).
absl::Time TimeOf(const google::protobuf::Timestamp& t);

// Docker's State.String(): "Up 2 minutes (Paused)", "Exited (0) 3 seconds ago", "Created".
std::string ContainerStatusText(const runtime::v1::ContainerState& state, absl::Time now);
// Docker's lower-case state name: "created", "running", "exited"…
std::string ContainerStateName(runtime::v1::ContainerStatus status);

// Go's strconv.Quote: double quotes, with \" \\ \n \t and \xNN escapes.
std::string GoQuote(const std::string& text);
// The COMMAND column: at most 20 characters (the last "…") unless no_trunc, then quoted.
std::string CommandColumn(const std::string& command, bool no_trunc);
// The PORTS column: "0.0.0.0:8080->80/tcp, 443/tcp".
// "tcp", "udp" or "sctp" (unspecified reads as TCP).
std::string ProtocolName(types::v1::PortProtocol protocol);
std::string PortsColumn(const google::protobuf::RepeatedPtrField<types::v1::PortMapping>& ports);

// The 12-hex short form of a container ID.
std::string ShortId(const std::string& id);

struct PsOptions {
  std::string format;  // --format
  bool no_trunc = false;
  bool size = false;  // -s: the SIZE column
  bool quiet = false;
};
// One container's fields as --format sees them (.ID, .Image, .Status, …).
nlohmann::ordered_json PsFields(const runtime::v1::ContainerSummary& c, bool no_trunc,
                                absl::Time now);
// What `ps` prints for `response`: the table, one template line or JSON line per
// container, or IDs with -q.
std::string RenderPs(const runtime::v1::ListContainersResponse& response, const PsOptions& options,
                     absl::Time now);

// Replaces {{.Label "key"}} in `text` with that label's value from `labels`.
std::string ExpandLabelCalls(const std::string& text,
                             const google::protobuf::Map<std::string, std::string>& labels);

// `docker container inspect`'s object for one container; SizeRw/SizeRootFs with `size`.
nlohmann::ordered_json ContainerInspectJson(const runtime::v1::ContainerInspect& c,
                                            bool size = false);

}  // namespace berth::ctl
