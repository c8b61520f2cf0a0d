// What every berthctl command file provides: registration with the CLI and a run step.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "ctl/connection.h"

namespace berth::ctl {

// Docker's exit codes: 125 for berthctl's own errors (usage, unreachable berthd is 1).
inline constexpr int kExitUsage = 125;

// Adds a subcommand to `app`; `run` is set to what executes it once parsing succeeds.
using CommandRunner = std::function<int(const GlobalOptions&)>;

void AddVersionCommand(CLI::App& app, CommandRunner& run);
void AddInfoCommand(CLI::App& app, CommandRunner& run);

}  // namespace berth::ctl
