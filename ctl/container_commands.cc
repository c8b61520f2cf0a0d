// Registers berthctl's container commands at the top level and under `container`, as
// Docker has them in both places.
#include "ctl/container_commands.h"

#include "ctl/container_rootfs_commands.h"

namespace berth::ctl {
namespace {

// Everything that exists both as `berthctl X` and `berthctl container X`.
void AddShared(CLI::App& parent, CommandRunner& run) {
  AddCreateCommand(parent, run);
  AddRunCommand(parent, run);
  AddStartCommand(parent, run);
  AddLifecycleCommands(parent, run);
  AddRemoveCommands(parent, run);
  AddLogsCommand(parent, run);
  AddExecCommand(parent, run);
  AddTopCommand(parent, run);
  AddAttachCommand(parent, run);
  AddStatsCommand(parent, run);
  AddUpdateCommand(parent, run);
  AddPortCommand(parent, run);
  AddCommitCommand(parent, run);
  AddExportCommand(parent, run);
}

}  // namespace

void AddContainerCommands(CLI::App& app, CommandRunner& run) {
  AddShared(app, run);
  AddPsCommand(app, "ps", run);
  AddContainerInspectCommand(app, /*any_object=*/true, run);

  auto* container = app.add_subcommand("container", "Manage containers");
  container->require_subcommand(1);
  AddShared(*container, run);
  AddPsCommand(*container, "ls", run);
  AddPsCommand(*container, "ps", run);
  AddPsCommand(*container, "list", run);
  AddContainerInspectCommand(*container, /*any_object=*/false, run);
  AddContainerPruneCommand(*container, run);
}

}  // namespace berth::ctl
