#include "ctl/command.h"

#include <cstdio>
#include <iostream>
#include <memory>

#include "absl/strings/ascii.h"

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

bool Confirm(const std::string& warning) {
  std::printf("%s\nAre you sure you want to continue? [y/N] ", warning.c_str());
  std::fflush(stdout);
  std::string answer;
  if (!std::getline(std::cin, answer)) {
    std::printf("\n");
    return false;
  }
  answer = absl::AsciiStrToLower(absl::StripAsciiWhitespace(answer));
  return answer == "y" || answer == "yes";
}

}  // namespace berth::ctl
