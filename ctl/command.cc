#include "ctl/command.h"

#include <chrono>
#include <cstdio>
#include <memory>

namespace berth::ctl {

void AddFormattedCommand(CLI::App& app, const std::string& name, const std::string& description,
                         CommandRunner& run, FormattedBody body) {
  auto* cmd = app.add_subcommand(name, description);
  auto format = std::make_shared<std::string>();
  cmd->add_option("-f,--format", *format, "Format output: \"json\" or the default table")
      ->check(CLI::IsMember({"", "json", "table"}));
  cmd->callback([&run, format, body] {
    run = [format, body](const GlobalOptions& options) { return body(options, *format); };
  });
}

namespace {

// UNAVAILABLE comes both from an unreachable berthd and from berthd relaying an unreachable
// registry; only a fresh connection tells them apart.
bool DaemonAnswers(const GlobalOptions& options) {
  auto channel = Connect(options);
  return channel.ok() &&
         (*channel)->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace

int ReportRpcError(const GlobalOptions& options, const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE && !DaemonAnswers(options)) {
    std::fprintf(stderr, "%s\n", CannotConnectMessage(options, status.error_message()).c_str());
  } else {
    std::fprintf(stderr, "Error response from daemon: %s\n", status.error_message().c_str());
  }
  return 1;
}

}  // namespace berth::ctl
