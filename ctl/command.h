// What every berthctl command file provides: registration with the CLI and a run step.
#pragma once

#include <CLI/CLI.hpp>
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

void AddVersionCommand(CLI::App& app, CommandRunner& run);
void AddPullCommand(CLI::App& app, CommandRunner& run);
void AddPushCommand(CLI::App& app, CommandRunner& run);
void AddLoadCommand(CLI::App& app, CommandRunner& run);
void AddInfoCommand(CLI::App& app, CommandRunner& run);
void AddLoginCommands(CLI::App& app, CommandRunner& run);  // login, logout
void AddSearchCommand(CLI::App& app, CommandRunner& run);
void AddSaveCommand(CLI::App& app, CommandRunner& run);
void AddImportCommand(CLI::App& app, CommandRunner& run);
}  // namespace berth::ctl
