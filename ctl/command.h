// What every berthctl command file provides: registration with the CLI and a run step.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <string>

#include "ctl/connection.h"
#include "ctl/daemon_call.h"

namespace berth::ctl {

// Docker's exit codes: 125 for berthctl's own errors (usage, unreachable berthd is 1).
inline constexpr int kExitUsage = 125;

// Adds a subcommand to `app`; `run` is set to what executes it once parsing succeeds.
using CommandRunner = std::function<int(const GlobalOptions&)>;

// Adds `name` with Docker's `-f/--format` (table or json); once parsed, `run` calls
// `body` with the chosen format.
using FormattedBody = std::function<int(const GlobalOptions&, const std::string& format)>;
void AddFormattedCommand(CLI::App& app, const std::string& name, const std::string& description,
                         CommandRunner& run, FormattedBody body);

// What `pull` does, callable by `create`/`run` for a missing image (progress on stderr).
struct PullFlags {
  std::string reference;
  std::string platform;
  bool quiet = false;
  FILE* out = stdout;           // where progress goes
  bool print_reference = true;  // the final "docker.io/library/x:tag" line
};
int PullImage(const GlobalOptions& options, const PullFlags& flags);

// Docker's prompt: true for "y" or "yes" (any case) on stdin.
bool Confirm(const std::string& warning);

void AddVersionCommand(CLI::App& app, CommandRunner& run);
void AddPullCommand(CLI::App& app, CommandRunner& run);
void AddPushCommand(CLI::App& app, CommandRunner& run);
void AddLoadCommand(CLI::App& app, CommandRunner& run);
void AddInfoCommand(CLI::App& app, CommandRunner& run);
void AddLoginCommands(CLI::App& app, CommandRunner& run);  // login, logout
void AddSearchCommand(CLI::App& app, CommandRunner& run);
void AddSaveCommand(CLI::App& app, CommandRunner& run);
void AddImportCommand(CLI::App& app, CommandRunner& run);
void AddEventsCommand(CLI::App& app, CommandRunner& run);
// create, run, start, stop, ps, logs, exec… and the `container` group (container_commands.cc).
void AddContainerCommands(CLI::App& app, CommandRunner& run);
}  // namespace berth::ctl
