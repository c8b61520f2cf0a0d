// berthctl commit and export: a container's root file system as an image or a tar
// (berth.runtime.v1.ContainerRootfs).
#pragma once

#include "ctl/command.h"

namespace berth::ctl {

// Each adds its command under `parent` (the top level or the `container` group).
void AddCommitCommand(CLI::App& parent, CommandRunner& run);
void AddExportCommand(CLI::App& parent, CommandRunner& run);

}  // namespace berth::ctl
