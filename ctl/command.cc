#include "ctl/command.h"

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

}  // namespace berth::ctl
