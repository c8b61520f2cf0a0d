// berthctl events: the engine's events (Events.Subscribe) as Docker prints them, until
// interrupted or --until has passed.
#include <cstdio>
#include <memory>

#include "berth/runtime/v1/events.grpc.pb.h"
#include "common/rpc/namespace.h"
#include "ctl/command.h"
#include "ctl/event_format.h"
#include "ctl/units.h"

namespace berth::ctl {
namespace {

struct EventsFlags {
  std::vector<std::string> filters;
  std::string since, until, format;
};

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t nanos = absl::ToUnixNanos(t);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

int Run(const GlobalOptions& global, const EventsFlags& flags) {
  runtime::v1::SubscribeEventsRequest request;
  absl::StatusOr<std::vector<types::v1::Filter>> filters = ParseEventFilters(flags.filters);
  if (!filters.ok()) {
    std::fprintf(stderr, "%s\n", std::string(filters.status().message()).c_str());
    return kExitUsage;
  }
  for (auto& filter : *filters) *request.add_filters() = std::move(filter);
  const absl::Time now = absl::Now();
  for (const auto& [text, out, flag] :
       {std::tuple{flags.since, request.mutable_since(), "since"},
        std::tuple{flags.until, request.mutable_until(), "until"}}) {
    if (text.empty()) continue;
    absl::StatusOr<absl::Time> t = ParseTimestamp(text, now);
    if (!t.ok()) {
      std::fprintf(stderr, "invalid value for \"%s\": %s\n", flag,
                   std::string(t.status().message()).c_str());
      return kExitUsage;
    }
    SetTime(*t, out);
  }
  auto channel = Connect(global);
  if (!channel.ok()) return ReportConnectError(global, channel.status());
  grpc::ClientContext context;
  rpc::SetNamespace(context, kCtlNamespace);  // no deadline: streams until interrupted
  auto stream = runtime::v1::Events::NewStub(*channel)->Subscribe(&context, request);
  runtime::v1::Event event;
  while (stream->Read(&event)) {
    std::printf("%s\n", RenderEvent(event, flags.format).c_str());
    std::fflush(stdout);
  }
  grpc::Status status = stream->Finish();
  return status.ok() ? 0 : ReportCallError(global, status);
}

}  // namespace

void AddEventsCommand(CLI::App& app, CommandRunner& run) {
  auto flags = std::make_shared<EventsFlags>();
  auto* cmd = app.add_subcommand("events", "Get real time events from the server");
  cmd->add_option("-f,--filter", flags->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  cmd->add_option("--since", flags->since, "Show all events created since timestamp");
  cmd->add_option("--until", flags->until, "Stream events until this timestamp");
  cmd->add_option("--format", flags->format,
                  "Format output using a custom template: 'json' or a Go template");
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
