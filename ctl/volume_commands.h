// berthctl volume create|ls|inspect|rm|prune, as `docker volume`.
#pragma once

#include "ctl/command.h"

namespace berth::ctl {

void AddVolumeCommands(CLI::App& app, CommandRunner& run);
// `volume ls` and `volume inspect` (volume_list_command.cc).
void AddVolumeListCommand(CLI::App& parent, CommandRunner& run);
void AddVolumeInspectCommand(CLI::App& parent, CommandRunner& run);

}  // namespace berth::ctl
