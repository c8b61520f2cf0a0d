#include "ctl/command.h"

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

int ReportRpcError(const GlobalOptions& options, const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    std::fprintf(stderr, "%s\n", CannotConnectMessage(options, status.error_message()).c_str());
  } else {
    std::fprintf(stderr, "Error response from daemon: %s\n", status.error_message().c_str());
  }
  return 1;
}

}  // namespace berth::ctl
