// Registers berthctl's container commands at the top level and under `container`, as
// Docker has them in both places.
#include "ctl/container_commands.h"

#include "ctl/container_rootfs_commands.h"

namespace berth::ctl {
namespace {

// Docker's -h means --hostname for create and run, so only they keep --help alone.
void SetHelpFlags(CLI::App& parent) {
  for (CLI::App* sub : parent.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_help_ptr() != nullptr) continue;
    const bool h_taken = sub->get_option_no_throw("-h") != nullptr;
    sub->set_help_flag(h_taken ? "--help" : "-h,--help", "Print usage");
  }
}

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
  SetHelpFlags(app);

  auto* container = app.add_subcommand("container", "Manage containers");
  container->require_subcommand(1);
  AddShared(*container, run);
  AddPsCommand(*container, "ls", run);
  AddPsCommand(*container, "ps", run);
  AddPsCommand(*container, "list", run);
  AddContainerInspectCommand(*container, /*any_object=*/false, run);
  AddContainerPruneCommand(*container, run);
  SetHelpFlags(*container);
}

}  // namespace berth::ctl
