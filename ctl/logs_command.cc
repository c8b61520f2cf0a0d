// berthctl logs: a container's recorded output, to stdout or stderr as it was written.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "absl/strings/numbers.h"
#include "berth/runtime/v1/logs.grpc.pb.h"
#include "common/rpc/namespace.h"
#include "ctl/container_client.h"
#include "ctl/container_commands.h"
#include "ctl/container_format.h"
#include "ctl/units.h"

namespace berth::ctl {
namespace {

struct LogsFlags {
  std::string container;
  bool follow = false;
  bool timestamps = false;
  bool details = false;  // accepted; berth records no log attributes
  std::string tail = "all";
  std::string since, until;
};

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t nanos = absl::ToUnixNanos(t);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

int Run(const GlobalOptions& global, const LogsFlags& flags) {
  runtime::v1::ReadLogsRequest request;
  request.set_id(flags.container);
  request.set_follow(flags.follow);
  request.set_timestamps(flags.timestamps);
  const absl::Time now = absl::Now();
  for (const auto& [text, out, flag] :
       {std::tuple{flags.since, request.mutable_since(), "since"},
        std::tuple{flags.until, request.mutable_until(), "until"}}) {
    if (text.empty()) continue;
    absl::StatusOr<absl::Time> t = ParseTimestamp(text, now);
    if (!t.ok()) {
      std::fprintf(stderr, "invalid value for \"%s\": %s\n", flag,
                   std::string(t.status().message()).c_str());
      return 1;
    }
    SetTime(*t, out);
  }
  if (flags.tail != "all") {
    int64_t tail = 0;
    if (!absl::SimpleAtoi(flags.tail, &tail)) {
      std::fprintf(stderr, "invalid value for \"tail\": %s\n", flags.tail.c_str());
      return kExitUsage;
    }
    if (tail >= 0) request.set_tail(tail);
  }
  auto channel = Connect(global);
  if (!channel.ok()) return ReportConnectError(global, channel.status());
  grpc::ClientContext context;
  rpc::SetNamespace(context, kCtlNamespace);  // no deadline: -f follows until the container stops
  auto stream = runtime::v1::Logs::NewStub(*channel)->Read(&context, request);
  runtime::v1::ReadLogsResponse response;
  bool continuing[4] = {false, false, false, false};  // per stream: inside a partial line
  while (stream->Read(&response)) {
    for (const auto& entry : response.entries()) {
      const int fd =
          entry.stream() == runtime::v1::STDIO_STREAM_STDERR ? STDERR_FILENO : STDOUT_FILENO;
      bool& inside = continuing[entry.stream() & 3];
      if (flags.timestamps && !inside) {
        WriteAll(fd, absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ ", TimeOf(entry.time()),
                                      absl::UTCTimeZone()));
      }
      WriteAll(fd, entry.data());
      inside = entry.partial();
    }
  }
  grpc::Status status = stream->Finish();
  return status.ok() ? 0 : ReportCallError(global, status);
}

}  // namespace

void AddLogsCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<LogsFlags>();
  auto* cmd = parent.add_subcommand("logs", "Fetch the logs of a container");
  cmd->add_flag("-f,--follow", flags->follow, "Follow log output");
  cmd->add_flag("-t,--timestamps", flags->timestamps, "Show timestamps");
  cmd->add_flag("--details", flags->details, "Show extra details provided to logs");
  cmd->add_option("-n,--tail", flags->tail, "Number of lines to show from the end of the logs");
  cmd->add_option("--since", flags->since,
                  "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative "
                  "(e.g. \"42m\" for 42 minutes)");
  cmd->add_option("--until", flags->until,
                  "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative "
                  "(e.g. \"42m\" for 42 minutes)");
  cmd->add_option("CONTAINER", flags->container, "Container")->required();
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
